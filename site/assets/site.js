// The lesson site's behaviour: theme toggle, copy buttons, search, the lesson
// drawer on small screens and the current section in the outline. Plain script
// (no modules), so every page works when opened straight from disk.
(function () {
  'use strict';

  var root = document.documentElement;

  // Theme: a choice made with the toggle is kept in localStorage; until then the
  // page follows the system's light/dark setting, also when it changes.
  var THEME_KEY = 'workbook-theme';
  var toggle = document.getElementById('theme-toggle');
  var systemDark = window.matchMedia('(prefers-color-scheme: dark)');

  function storedTheme() {
    try {
      return localStorage.getItem(THEME_KEY);
    } catch (error) {
      return null;
    }
  }

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
      try {
        localStorage.setItem(THEME_KEY, next);
      } catch (error) {
        // Storage can be off (private windows); the toggle still works for this page.
      }
    });
  }
  systemDark.addEventListener('change', function (event) {
    var stored = storedTheme();
    if (stored !== 'light' && stored !== 'dark') applyTheme(event.matches ? 'dark' : 'light');
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

  // Search: the index was built with the site (assets/search-index.js).
  var input = document.getElementById('search-input');
  var results = document.getElementById('search-results');
  var data = window.WORKBOOK_SEARCH;
  var search = null;
  if (input && results && data && window.MiniSearch) {
    search = window.MiniSearch.loadJSON(data.index, data.options);
  } else if (input) {
    input.disabled = true;
    input.placeholder = 'Search is not available';
  }

  function escapeHtml(text) {
    return text.replace(/[&<>"]/g, function (char) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[char];
    });
  }

  function highlight(text, terms) {
    var escaped = escapeHtml(text);
    if (terms.length === 0) return escaped;
    var pattern = new RegExp(
      '(' +
        terms
          .map(function (term) {
            return term.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          })
          .join('|') +
        ')',
      'gi',
    );
    return escaped.replace(pattern, '<mark>$1</mark>');
  }

  function excerpt(text, terms) {
    var lower = text.toLowerCase();
    var at = -1;
    for (var i = 0; i < terms.length && at === -1; i++) at = lower.indexOf(terms[i].toLowerCase());
    var start = Math.max(0, at - 60);
    var snippet = text.slice(start, start + 180);
    return (start > 0 ? '… ' : '') + snippet + (start + 180 < text.length ? ' …' : '');
  }

  var selected = -1;
  function select(index) {
    var items = results.querySelectorAll('.search-result');
    if (items.length === 0) return;
    selected = (index + items.length) % items.length;
    items.forEach(function (item, i) {
      item.setAttribute('aria-selected', i === selected ? 'true' : 'false');
    });
    items[selected].scrollIntoView({ block: 'nearest' });
  }

  function runSearch() {
    var query = input.value.trim();
    selected = -1;
    if (query === '') {
      results.hidden = true;
      results.innerHTML = '';
      return;
    }
    var found = search.search(query, {
      prefix: true,
      fuzzy: 0.2,
      combineWith: 'AND',
      boost: { title: 3, heading: 2 },
    });
    if (found.length === 0)
      found = search.search(query, { prefix: true, fuzzy: 0.2, boost: { title: 3, heading: 2 } });
    results.hidden = false;
    if (found.length === 0) {
      results.innerHTML =
        '<div class="search-empty">No results for “' + escapeHtml(query) + '”</div>';
      return;
    }
    results.innerHTML = found
      .slice(0, 10)
      .map(function (hit) {
        var heading =
          hit.heading && hit.heading !== hit.title
            ? ' <span class="search-result-heading">› ' +
              highlight(hit.heading, hit.terms) +
              '</span>'
            : '';
        return (
          '<a class="search-result" role="option" href="' +
          escapeHtml(hit.url) +
          '"><span class="search-result-title">' +
          escapeHtml(hit.title) +
          heading +
          '</span><span class="search-result-text">' +
          highlight(excerpt(hit.text, hit.terms), hit.terms) +
          '</span></a>'
        );
      })
      .join('');
  }

  if (search) {
    input.addEventListener('input', runSearch);
    input.addEventListener('focus', function () {
      if (input.value.trim() !== '') runSearch();
    });
    input.addEventListener('keydown', function (event) {
      if (event.key === 'ArrowDown') {
        event.preventDefault();
        select(selected + 1);
      } else if (event.key === 'ArrowUp') {
        event.preventDefault();
        select(selected - 1);
      } else if (event.key === 'Enter') {
        var items = results.querySelectorAll('.search-result');
        var target = items[selected === -1 ? 0 : selected];
        if (target) window.location.href = target.getAttribute('href');
      } else if (event.key === 'Escape') {
        results.hidden = true;
        input.blur();
      }
    });
    document.addEventListener('click', function (event) {
      if (!event.target.closest('.search')) results.hidden = true;
    });
    document.addEventListener('keydown', function (event) {
      var typing =
        event.target.closest && event.target.closest('input, textarea, select, [contenteditable]');
      if (event.key === '/' && !typing) {
        event.preventDefault();
        input.focus();
        input.select();
      }
    });
  }

  // The lesson list as a drawer on small screens.
  var menu = document.getElementById('menu-button');
  if (menu) {
    menu.addEventListener('click', function () {
      var open = document.body.classList.toggle('sidebar-open');
      menu.setAttribute('aria-expanded', open ? 'true' : 'false');
    });
  }

  // The outline marks the section being read: the last heading above the top third.
  var outlineLinks = Array.prototype.slice.call(document.querySelectorAll('.outline a'));
  var outlineHeadings = outlineLinks.map(function (link) {
    return document.getElementById(decodeURIComponent(link.getAttribute('href').slice(1)));
  });
  var outlinePending = false;
  function updateOutline() {
    outlinePending = false;
    var line = window.innerHeight / 3;
    var current = -1;
    outlineHeadings.forEach(function (heading, index) {
      if (heading && heading.getBoundingClientRect().top <= line) current = index;
    });
    outlineLinks.forEach(function (link, index) {
      link.classList.toggle('active', index === current);
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
})();
