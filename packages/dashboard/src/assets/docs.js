// The documentation's behaviour: copy buttons on code blocks and search as you type. Served from
// /assets/ (the Content-Security-Policy allows no inline script); without it the pages still
// read, and the search box submits to /docs/search, which answers from the server.
(() => {
  async function copyText(text) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // Without the async clipboard (plain http on another host), select and copy the old way.
      const area = document.createElement('textarea');
      area.value = text;
      area.setAttribute('readonly', '');
      area.className = 'offscreen';
      document.body.append(area);
      area.select();
      const done = document.execCommand('copy');
      area.remove();
      return done;
    }
  }

  // On a phone the list of pages starts folded, so the page itself comes first (open without script).
  const pages = document.querySelector('.docs-pages');
  if (pages && window.matchMedia('(max-width: 800px)').matches) pages.open = false;

  for (const button of document.querySelectorAll('.doc-copy')) {
    button.hidden = false;
    button.addEventListener('click', async () => {
      const code = button.parentElement.querySelector('pre code');
      const copied = code ? await copyText(code.textContent) : false;
      button.textContent = copied ? 'Copied' : 'Copy failed';
      setTimeout(() => {
        button.textContent = 'Copy';
      }, 1500);
    });
  }

  // The same matching as the server's search (packages/dashboard/src/docs/search.ts).
  const terms = (query) =>
    query
      .slice(0, 200)
      .toLowerCase()
      .split(/[^\p{L}\p{N}_.-]+/u)
      .filter((term) => term.length >= 2);

  function rank(index, query) {
    const words = terms(query);
    if (words.length === 0) return [];
    const phrase = words.join(' ');
    const hits = [];
    for (const entry of index) {
      const heading = entry.heading.toLowerCase();
      const text = entry.text.toLowerCase();
      if (!words.every((w) => heading.includes(w) || text.includes(w))) continue;
      let score = 0;
      for (const w of words) score += (heading.includes(w) ? 5 : 0) + (text.includes(w) ? 1 : 0);
      if (words.length > 1 && (heading.includes(phrase) || text.includes(phrase))) score += 10;
      hits.push({ entry, score });
    }
    return hits.sort((a, b) => b.score - a.score).slice(0, 8);
  }

  const input = document.getElementById('docs-q');
  const list = document.getElementById('docs-results');
  if (!input || !list) return;
  let index = null;
  async function loadIndex() {
    if (!index) {
      const response = await fetch('/docs/search-index.json');
      index = response.ok ? await response.json() : [];
    }
    return index;
  }
  input.addEventListener('focus', loadIndex, { once: true });
  input.addEventListener('input', async () => {
    const hits = rank(await loadIndex(), input.value);
    list.replaceChildren(
      ...hits.map(({ entry }) => {
        const item = document.createElement('li');
        const link = document.createElement('a');
        link.href = entry.url;
        link.textContent = entry.heading;
        const page = document.createElement('span');
        page.className = 'muted small';
        page.textContent = ` · ${entry.page}`;
        item.append(link, page);
        return item;
      }),
    );
    list.hidden = hits.length === 0;
  });
})();
