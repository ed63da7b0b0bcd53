// Agent OTP dashboard behaviour. Served from /assets/ because the Content-Security-Policy
// allows no inline script. Everything here is progressive: the pages work without it.
(() => {
  const pad = (n) => String(n).padStart(2, '0');

  function remaining(ms) {
    const s = Math.max(0, Math.round(ms / 1000));
    if (s < 60) return `${s}s`;
    if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
    return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
  }

  // Deadlines count down every second; the elements are looked up each tick because the
  // live inbox replaces them whenever a request arrives or is decided.
  function tick() {
    const now = Date.now();
    for (const el of document.querySelectorAll('[data-deadline]')) {
      const left = Date.parse(el.getAttribute('data-deadline')) - now;
      el.textContent = left > 0 ? `${remaining(left)} left` : 'expired';
      el.classList.toggle('urgent', left < 60_000);
      el.classList.toggle('over', left <= 0);
    }
  }

  // Server-rendered times are UTC; show them in the reader's own zone.
  function localTimes(root) {
    for (const el of root.querySelectorAll('time[data-local]')) {
      const at = new Date(el.getAttribute('datetime'));
      if (Number.isNaN(at.getTime())) continue;
      el.title = el.textContent;
      el.textContent = at.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
      el.removeAttribute('data-local');
    }
  }

  // `data-copy` names an input to copy from; `data-copy-text` carries the text (an id) itself.
  async function copy(button) {
    const text = button.getAttribute('data-copy-text');
    const input = text === null ? document.getElementById(button.getAttribute('data-copy')) : null;
    if (text === null && !input) return;
    try {
      await navigator.clipboard.writeText(text ?? input.value);
    } catch {
      if (input) {
        input.select();
        document.execCommand('copy');
      }
    }
    const label = button.textContent;
    button.textContent = 'Copied';
    setTimeout(() => {
      button.textContent = label;
    }, 1500);
  }

  document.addEventListener('click', (event) => {
    const button = event.target.closest('[data-copy], [data-copy-text]');
    if (button) copy(button);
  });

  // Destructive buttons (disable, rotate) ask first.
  document.addEventListener('submit', (event) => {
    const message = event.target.getAttribute('data-confirm');
    if (message && !window.confirm(message)) event.preventDefault();
  });

  // htmx requests that change state carry the session's CSRF token as a header.
  document.addEventListener('htmx:configRequest', (event) => {
    const meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) event.detail.headers['X-CSRF-Token'] = meta.content;
  });

  const live = (state) => {
    const el = document.getElementById('live');
    if (el) el.className = `live ${state}`;
  };
  document.addEventListener('htmx:sseOpen', () => live('on'));
  document.addEventListener('htmx:sseError', () => live('off'));
  // The inbox's pending count leads the tab title: "(3) Inbox · Agent OTP".
  function pendingTitle() {
    const counter = document.querySelector('#inbox-list [data-pending-count]');
    if (!counter) return;
    const count = Number(counter.getAttribute('data-pending-count'));
    const rest = document.title.replace(/^\(\d+\) /, '');
    document.title = count > 0 ? `(${count}) ${rest}` : rest;
  }

  document.addEventListener('htmx:afterSwap', (event) => {
    localTimes(event.target);
    tick();
    pendingTitle();
  });

  document.addEventListener('DOMContentLoaded', () => {
    localTimes(document);
    tick();
    setInterval(tick, 1000);
  });
})();
