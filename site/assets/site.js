// The lesson site's behaviour: theme toggle, copy and wrap buttons, search
// (loaded on first use), the lesson drawer on small screens, the current section
// in the outline and the ←/→ keys. Plain script (no modules), so every page
// works when opened straight from disk.
(function () {
  'use strict';

  var root = document.documentElement;
  var here = document.currentScript ? document.currentScript.src : '';

  function store(key, value) {
    try {
      localStorage.setItem(key, value);
    } catch (error) {
      // Storage can be off (private windows); the choice still holds for this page.
    }
  }

  function stored(key) {
    try {
      return localStorage.getItem(key);
    } catch (error) {
      return null;
    }
  }

  /** True when a key press is meant for a text field, not for the page. */
  function typing(target) {
    return Boolean(
      target && target.closest && target.closest('input, textarea, select, [contenteditable]'),
    );
  }

  // Theme: a choice made with the toggle is kept in localStorage; until then the
  // page follows the system's light/dark setting, also when it changes.
  var THEME_KEY = 'workbook-theme';
  var toggle = document.getElementById('theme-toggle');
  var systemDark = window.matchMedia('(prefers-color-scheme: dark)');

  function applyTheme(theme) {
    root.dataset.theme = theme;
    if (toggle)
      toggle.setAttribute(
        'aria-label',
        theme === 'dark' ? 'Switch to the light theme' : 'Switch to the dark theme',
      );
  }

  applyTheme(root.dataset.theme === 'dark' ? 'dark' : 'light');
  if (toggle) {
    toggle.addEventListener('click', function () {
      var next = root.dataset.theme === 'dark' ? 'light' : 'dark';
      applyTheme(next);
      store(THEME_KEY, next);
    });
  }
  systemDark.addEventListener('change', function (event) {
    var theme = stored(THEME_KEY);
    if (theme !== 'light' && theme !== 'dark') applyTheme(event.matches ? 'dark' : 'light');
  });

  // Copy buttons. A terminal block copies only its commands, without the `$ `.
  function textToCopy(block) {
    var code = block.querySelector('code');
    var text = code ? code.textContent : '';
    var lang = block.getAttribute('data-lang');
    if (lang === 'console' || lang === 'shellsession') {
      var commands = text.split('\n').filter(function (line) {
        return line.indexOf('$ ') === 0;
      });
      if (commands.length > 0) {
        return (
          commands
            .map(function (line) {
              return line.slice(2);
            })
            .join('\n') + '\n'
        );
      }
    }
    return text;
  }

  function copyWithSelection(text) {
    var area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.appendChild(area);
    area.select();
    var ok;
    try {
      ok = document.execCommand('copy');
    } catch (error) {
      ok = false;
    }
    document.body.removeChild(area);
    return ok;
  }

  function showCopied(button, ok) {
    button.textContent = ok ? 'Copied' : 'Press Ctrl+C';
    button.classList.add('copied');
    setTimeout(function () {
      button.textContent = 'Copy';
      button.classList.remove('copied');
    }, 1500);
  }

  document.querySelectorAll('.code-block .copy-button').forEach(function (button) {
    button.addEventListener('click', function () {
      var text = textToCopy(button.closest('.code-block'));
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(
          function () {
            showCopied(button, true);
          },
          function () {
            showCopied(button, copyWithSelection(text));
          },
        );
      } else {
        showCopied(button, copyWithSelection(text));
      }
    });
  });

  // Wrap buttons on terminal blocks: one choice for every terminal block, kept.
  var WRAP_KEY = 'workbook-wrap';
  var wrapButtons = document.querySelectorAll('.code-block .wrap-button');
  function applyWrap(on) {
    if (on) root.dataset.wrap = 'on';
    else delete root.dataset.wrap;
    wrapButtons.forEach(function (button) {
      button.setAttribute('aria-pressed', on ? 'true' : 'false');
    });
  }
  applyWrap(root.dataset.wrap === 'on');
  wrapButtons.forEach(function (button) {
    button.addEventListener('click', function () {
      var on = root.dataset.wrap !== 'on';
      applyWrap(on);
      store(WRAP_KEY, on ? 'on' : 'off');
    });
  });

  // A link to a block inside folded text opens the fold.
  function revealTarget() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var target = id === '' ? null : document.getElementById(id);
    if (!target) return;
    for (var node = target; node; node = node.parentElement) {
      if (node.tagName === 'DETAILS') node.open = true;
    }
    target.scrollIntoView();
  }
  window.addEventListener('hashchange', revealTarget);
  if (window.location.hash !== '') revealTarget();

  // Search. The library and the index (assets/minisearch.js, search-index.js)
  // are loaded as scripts on first use, which works from file:// as well.
  var input = document.getElementById('search-input');
  var panel = document.getElementById('search-panel');
  var results = document.getElementById('search-results');
  var empty = document.getElementById('search-empty');
  var status = document.getElementById('search-status');
  var search = null;
  var loading = null;
  var narrow = window.matchMedia('(max-width: 520px)');
  var BLOCK_WEIGHT = 0.35;

  function fitPlaceholder() {
    if (input && !input.disabled)
      input.placeholder = narrow.matches ? 'Search' : 'Search the lessons';
  }
  fitPlaceholder();
  narrow.addEventListener('change', fitPlaceholder);

  function loadScript(name) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement('script');
      script.src = here ? new URL(name, here).href : 'assets/' + name;
      script.onload = resolve;
      script.onerror = function () {
        reject(new Error('could not load ' + name));
      };
      document.head.appendChild(script);
    });
  }

  function loadSearch() {
    if (loading) return loading;
    loading = loadScript('minisearch.js')
      .then(function () {
        return loadScript('search-index.js');
      })
      .then(function () {
        var data = window.WORKBOOK_SEARCH;
        search = window.MiniSearch.loadJSON(data.index, data.options);
        return search;
      })
      .catch(function () {
        input.disabled = true;
        input.placeholder = 'Search is not available';
        return null;
      });
    return loading;
  }

  function escapeHtml(text) {
    return text.replace(/[&<>"]/g, function (char) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[char];
    });
  }

  function termPattern(terms) {
    return new RegExp(
      '(' +
        terms
          .map(function (term) {
            return term.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          })
          .join('|') +
        ')',
      'gi',
    );
  }

  function highlight(text, terms) {
    var escaped = escapeHtml(text);
    if (terms.length === 0) return escaped;
    return escaped.replace(termPattern(terms), '<mark>$1</mark>');
  }

  function firstMatch(text, terms) {
    if (terms.length === 0) return -1;
    var match = termPattern(terms).exec(text);
    return match ? match.index : -1;
  }

  /** About 180 characters of prose around the first match, starting and ending at a word. */
  function excerpt(text, terms) {
    var at = firstMatch(text, terms);
    var start = Math.max(0, at - 60);
    if (start > 0) {
      var space = text.indexOf(' ', start);
      start = space === -1 || space >= at ? start : space + 1;
    }
    var end = Math.min(text.length, start + 180);
    if (end < text.length) {
      var last = text.lastIndexOf(' ', end);
      if (last > Math.max(start, at)) end = last;
    }
    return (start > 0 ? '… ' : '') + text.slice(start, end) + (end < text.length ? ' …' : '');
  }

  /** The line of a code block with the first match, and the one after it. */
  function codeExcerpt(text, terms) {
    var lines = text.split('\n');
    var index = 0;
    for (var i = 0; i < lines.length; i++) {
      if (firstMatch(lines[i], terms) !== -1) {
        index = i;
        break;
      }
    }
    return lines
      .slice(index, index + 2)
      .map(function (line) {
        var trimmed = line.trim();
        return trimmed.length > 120 ? trimmed.slice(0, 119) + '…' : trimmed;
      })
      .filter(function (line) {
        return line !== '';
      })
      .join('\n');
  }

  var selected = -1;
  function options() {
    return results.querySelectorAll('.search-result');
  }

  function select(index) {
    var items = options();
    if (items.length === 0) return;
    selected = (index + items.length) % items.length;
    items.forEach(function (item, i) {
      item.setAttribute('aria-selected', i === selected ? 'true' : 'false');
    });
    input.setAttribute('aria-activedescendant', items[selected].id);
    items[selected].scrollIntoView({ block: 'nearest' });
  }

  function showPanel(show) {
    panel.hidden = !show;
    input.setAttribute('aria-expanded', show ? 'true' : 'false');
    if (!show) input.removeAttribute('aria-activedescendant');
  }

  function runSearch() {
    var query = input.value.trim();
    selected = -1;
    input.removeAttribute('aria-activedescendant');
    if (query === '' || !search) {
      showPanel(false);
      results.innerHTML = '';
      status.textContent = '';
      return;
    }
    var settings = {
      prefix: true,
      fuzzy: 0.2,
      boost: { title: 3, heading: 2 },
      boostDocument: function (id, term, fields) {
        return fields && fields.block ? BLOCK_WEIGHT : 1;
      },
    };
    var found = search.search(query, Object.assign({ combineWith: 'AND' }, settings));
    if (found.length === 0) found = search.search(query, settings);
    showPanel(true);
    if (found.length === 0) {
      results.innerHTML = '';
      empty.hidden = false;
      empty.textContent = 'No results for “' + query + '”';
      status.textContent = empty.textContent;
      return;
    }
    empty.hidden = true;
    var shown = found.slice(0, 10);
    status.textContent =
      found.length + (found.length === 1 ? ' result' : ' results') + ', ' + shown.length + ' shown';
    results.innerHTML = shown
      .map(function (hit, index) {
        var heading =
          hit.heading && hit.heading !== hit.title
            ? ' <span class="search-result-heading">› ' +
              highlight(hit.heading, hit.terms) +
              '</span>'
            : '';
        var where = hit.block
          ? '<span class="search-result-block">in ' + escapeHtml(hit.block) + '</span>'
          : '';
        var text = hit.block
          ? '<code class="search-result-code">' +
            highlight(codeExcerpt(hit.text, hit.terms), hit.terms) +
            '</code>'
          : highlight(excerpt(hit.text, hit.terms), hit.terms);
        return (
          '<a class="search-result" role="option" aria-selected="false" id="search-result-' +
          index +
          '" href="' +
          escapeHtml(hit.url) +
          '"><span class="search-result-title">' +
          escapeHtml(hit.title) +
          heading +
          '</span>' +
          where +
          '<span class="search-result-text">' +
          text +
          '</span></a>'
        );
      })
      .join('');
  }

  function searchWhenLoaded() {
    loadSearch().then(function () {
      if (search) runSearch();
    });
  }

  if (input && panel && results) {
    input.addEventListener('input', searchWhenLoaded);
    input.addEventListener('focus', function () {
      // Start loading as soon as the reader heads for the box.
      loadSearch().then(function () {
        if (search && input.value.trim() !== '') runSearch();
      });
    });
    input.addEventListener('keydown', function (event) {
      if (event.key === 'ArrowDown') {
        event.preventDefault();
        select(selected + 1);
      } else if (event.key === 'ArrowUp') {
        event.preventDefault();
        select(selected - 1);
      } else if (event.key === 'Enter') {
        var items = options();
        var target = items[selected === -1 ? 0 : selected];
        if (target) window.location.href = target.getAttribute('href');
      } else if (event.key === 'Escape') {
        if (!panel.hidden) showPanel(false);
        else input.blur();
      }
    });
    results.addEventListener('click', function () {
      // A result on this page: close the panel as the page scrolls to it.
      showPanel(false);
    });
    document.addEventListener('click', function (event) {
      if (!event.target.closest('.search')) showPanel(false);
    });
    document.addEventListener('keydown', function (event) {
      if (event.key === '/' && !typing(event.target)) {
        event.preventDefault();
        input.focus();
        input.select();
      }
    });
  }

  // The lesson list as a drawer on small screens: closes on Escape, on a tap
  // outside it and on following a link; the page behind does not scroll.
  var menu = document.getElementById('menu-button');
  var backdrop = document.getElementById('backdrop');
  var sidebar = document.getElementById('sidebar');
  function setMenu(open) {
    document.body.classList.toggle('sidebar-open', open);
    if (menu) menu.setAttribute('aria-expanded', open ? 'true' : 'false');
    if (backdrop) backdrop.hidden = !open;
  }
  if (menu) {
    menu.addEventListener('click', function () {
      var open = !document.body.classList.contains('sidebar-open');
      setMenu(open);
      if (open && sidebar) {
        var first = sidebar.querySelector('[aria-current="page"], a');
        if (first) first.focus();
      }
    });
    if (backdrop)
      backdrop.addEventListener('click', function () {
        setMenu(false);
      });
    document.addEventListener('keydown', function (event) {
      if (event.key === 'Escape' && document.body.classList.contains('sidebar-open')) {
        setMenu(false);
        menu.focus();
      }
    });
    if (sidebar)
      sidebar.addEventListener('click', function (event) {
        if (event.target.closest('a')) setMenu(false);
      });
  }

  // ← and → go to the previous and next page, as in mdBook.
  document.addEventListener('keydown', function (event) {
    if (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') return;
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    if (typing(event.target)) return;
    // Arrow keys scroll a focused code block or diagram sideways: leave them alone there.
    if (event.target.closest && event.target.closest('pre, .diagram, table')) return;
    var link = document.querySelector(
      event.key === 'ArrowLeft' ? '.pager a[rel="prev"]' : '.pager a[rel="next"]',
    );
    if (link) window.location.href = link.getAttribute('href');
  });

  // The outline marks the section being read: the last heading above the top third.
  var outlineLinks = Array.prototype.slice.call(
    document.querySelectorAll('.outline a, .outline-inline a'),
  );
  var outlineHeadings = outlineLinks.map(function (link) {
    return document.getElementById(decodeURIComponent(link.getAttribute('href').slice(1)));
  });
  var outlinePending = false;
  function updateOutline() {
    outlinePending = false;
    var line = window.innerHeight / 3;
    var current = null;
    outlineHeadings.forEach(function (heading) {
      if (heading && heading.getBoundingClientRect().top <= line) current = heading;
    });
    outlineLinks.forEach(function (link, index) {
      link.classList.toggle('active', current !== null && outlineHeadings[index] === current);
    });
  }
  if (outlineLinks.length > 0) {
    window.addEventListener(
      'scroll',
      function () {
        if (!outlinePending) {
          outlinePending = true;
          window.requestAnimationFrame(updateOutline);
        }
      },
      { passive: true },
    );
    updateOutline();
  }
  document.querySelectorAll('.outline-inline a').forEach(function (link) {
    link.addEventListener('click', function () {
      link.closest('details').open = false;
    });
  });
})();
