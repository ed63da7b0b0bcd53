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

  // The approve form's rows: a number the approval cannot grant is named at once, and the form
  // is held back until it is fixed. The server clamps and validates whatever arrives anyway.
  // Numbers are read as the server reads them (views/grant-rows.ts): `25,000`, `25000`, `2.5`.
  function readNumber(text) {
    const compact = text.replace(/[\s_]/g, '');
    if (!/^(\d+|\d{1,3}(,\d{3})+)(\.\d+)?(e[+-]?\d+)?$/i.test(compact)) return null;
    const value = Number(compact.replace(/,/g, ''));
    return Number.isFinite(value) ? value : null;
  }

  function grantProblem(input) {
    const kind = input.getAttribute('data-grant');
    const text = input.value.trim();
    const limitText = input.getAttribute('data-limit');
    if (text === '') return '';
    if (kind === 'count' && text.toLowerCase() === 'unlimited') {
      return limitText === 'unlimited' ? '' : input.getAttribute('data-limit-message');
    }
    const value = readNumber(text);
    if (value === null) return `"${text.slice(0, 40)}" is not a number (write 25000 or 25,000)`;
    if ((kind === 'count' || kind === 'ttl') && !Number.isInteger(value)) return 'must be a whole number';
    if (kind === 'count' && value < 1) return 'must be at least 1';
    if (kind === 'ttl' && value < 30) return 'must be at least 30 seconds';
    const limit = limitText === 'unlimited' ? Number.POSITIVE_INFINITY : Number(limitText);
    const wider = kind === 'min' ? value < limit : value > limit;
    return wider ? input.getAttribute('data-limit-message') : '';
  }

  function checkGrant(input) {
    const problem = grantProblem(input);
    input.setCustomValidity(problem);
    input.setAttribute('aria-invalid', problem ? 'true' : 'false');
    const out = document.getElementById(input.getAttribute('aria-describedby'));
    if (out) out.textContent = problem;
  }

  document.addEventListener('input', (event) => {
    if (event.target.matches?.('input[data-grant]')) checkGrant(event.target);
  });

  // Bulk decisions: the low-risk cards' boxes belong to #bulk-form. "Select all low-risk" ticks
  // them all; the ticks survive the live list's re-renders.
  const bulkBoxes = () => Array.from(document.querySelectorAll('input[data-bulk-low]'));
  function bulkState() {
    const form = document.getElementById('bulk-form');
    if (!form) return;
    const boxes = bulkBoxes();
    const ticked = boxes.filter((b) => b.checked).length;
    const all = document.getElementById('bulk-all');
    all.closest('label').hidden = boxes.length === 0;
    all.checked = boxes.length > 0 && ticked === boxes.length;
    all.indeterminate = ticked > 0 && ticked < boxes.length;
    document.getElementById('bulk-count').textContent =
      boxes.length === 0
        ? 'No low-risk request is waiting.'
        : `${ticked} of ${boxes.length} low-risk selected`;
    for (const button of form.querySelectorAll('button[name=decision]')) button.disabled = ticked === 0;
  }
  let keptTicks = null;
  document.addEventListener('change', (event) => {
    if (event.target.id === 'bulk-all') {
      for (const box of bulkBoxes()) box.checked = event.target.checked;
    }
    if (event.target.id === 'bulk-all' || event.target.matches?.('input[data-bulk-low]')) bulkState();
  });
  document.addEventListener('htmx:beforeSwap', (event) => {
    if (event.detail.target?.id !== 'inbox-list') return;
    keptTicks = new Set(
      bulkBoxes()
        .filter((b) => b.checked)
        .map((b) => b.value),
    );
  });
  function restoreTicks() {
    if (!keptTicks) return;
    for (const box of bulkBoxes()) box.checked = keptTicks.has(box.value);
    keptTicks = null;
  }

  // Browser notifications of new requests, opt-in, remembered in localStorage. A request the
  // page has already shown (on load or in an earlier re-render) never notifies.
  const NOTIFY_KEY = 'agent-otp.notify';
  const seen = new Set();
  const shownIds = () =>
    Array.from(document.querySelectorAll('#inbox-list [data-permission]')).map((el) =>
      el.getAttribute('data-permission'),
    );
  const notifyWanted = () => localStorage.getItem(NOTIFY_KEY) === 'on';
  const notifyAllowed = () => 'Notification' in window && Notification.permission === 'granted';

  function notifyButton() {
    const button = document.getElementById('notify-toggle');
    if (!button || !('Notification' in window)) return;
    button.hidden = false;
    const blocked = Notification.permission === 'denied';
    const on = notifyWanted() && notifyAllowed();
    button.disabled = blocked;
    button.setAttribute('aria-pressed', on ? 'true' : 'false');
    button.textContent = blocked
      ? 'Notifications blocked by the browser'
      : on
        ? 'Notifications on (turn off)'
        : 'Notify me of new requests';
  }

  async function toggleNotify() {
    if (notifyWanted() && notifyAllowed()) {
      localStorage.removeItem(NOTIFY_KEY);
    } else {
      const permission = await Notification.requestPermission();
      if (permission === 'granted') localStorage.setItem(NOTIFY_KEY, 'on');
    }
    notifyButton();
  }

  function focusRequest(id) {
    window.focus();
    const card = document.getElementById(`req-${id}`);
    if (!card) {
      window.location.assign(`/requests/${encodeURIComponent(id)}`);
      return;
    }
    card.setAttribute('tabindex', '-1');
    card.scrollIntoView({ block: 'center' });
    card.focus();
  }

  function notifyNew() {
    const fresh = shownIds().filter((id) => !seen.has(id));
    for (const id of fresh) seen.add(id);
    if (!notifyWanted() || !notifyAllowed()) return;
    for (const id of fresh) {
      const card = document.getElementById(`req-${id}`);
      const action = card?.querySelector('.action')?.textContent ?? 'a permission';
      const risk = card?.getAttribute('data-risk');
      const summary = card?.querySelector('.summary-line')?.textContent?.replace(/\s+/g, ' ').trim() ?? '';
      const note = new Notification(`New request: ${action}${risk ? ` (${risk} risk)` : ''}`, {
        body: summary,
        tag: id,
      });
      note.onclick = () => {
        focusRequest(id);
        note.close();
      };
    }
  }

  document.addEventListener('click', (event) => {
    if (event.target.closest?.('#notify-toggle')) toggleNotify();
  });

  document.addEventListener('htmx:afterSwap', (event) => {
    localTimes(event.target);
    tick();
    pendingTitle();
    if (event.detail.target?.id === 'inbox-list') {
      restoreTicks();
      bulkState();
      notifyNew();
    }
  });

  document.addEventListener('DOMContentLoaded', () => {
    localTimes(document);
    tick();
    setInterval(tick, 1000);
    for (const id of shownIds()) seen.add(id);
    notifyButton();
    bulkState();
    for (const input of document.querySelectorAll('input[data-grant]')) {
      if (input.value.trim() !== '') checkGrant(input);
    }
  });
})();
