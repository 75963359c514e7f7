// The site's settings, in one place.

/**
 * Where each page's "Edit this page" link goes: this base followed by the page's
 * file in the repository (README.md, lessons/04-app/README.md), for example
 * 'https://github.com/OWNER/sockets-workbook/edit/main/'. Unset (undefined),
 * the pages have no such link.
 */
export const EDIT_URL_BASE: string | undefined = undefined;
