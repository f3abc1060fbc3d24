// Keyboard shortcuts for the rejection queue and the submission page. Served from /queue-keys.js
// (the console's CSP allows scripts from itself only); every flow works without it.
// j/k: next/previous row; x: select the row; Enter: open it; d: dismiss the selection (asks the
// note first); n: next item (keeps the filters); q: back to the queue from a submission.
(() => {
  const rows = [...document.querySelectorAll('table.queue tbody tr')];
  let current = -1;
  const focus = (index) => {
    if (rows.length === 0) return;
    rows[current]?.classList.remove('current');
    current = Math.max(0, Math.min(rows.length - 1, index));
    rows[current].classList.add('current');
    rows[current].scrollIntoView({ block: 'nearest' });
  };
  const follow = (key) => {
    const link = document.querySelector(`a[data-key="${key}"]`);
    if (link) window.location.assign(link.href);
  };
  document.addEventListener('keydown', (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    // Enter on a button or link is that button's or link's.
    if (target instanceof HTMLButtonElement || target instanceof HTMLAnchorElement) return;
    if (
      target instanceof HTMLInputElement ||
      target instanceof HTMLTextAreaElement ||
      target instanceof HTMLSelectElement
    ) {
      if (!(target instanceof HTMLInputElement && target.type === 'checkbox')) return;
    }
    const row = rows[current];
    switch (event.key) {
      case 'j':
        focus(current + 1);
        break;
      case 'k':
        focus(current - 1);
        break;
      case 'x': {
        const box = row?.querySelector('input[type=checkbox]');
        if (box) box.checked = !box.checked;
        break;
      }
      case 'Enter': {
        const link = row?.querySelector('a');
        if (!link) return;
        window.location.assign(link.href);
        break;
      }
      case 'd': {
        const note = document.querySelector('form.bulk input[name=note]');
        const button = document.querySelector('form.bulk button[value=dismiss]');
        if (!note || !button) return;
        if (!note.value.trim()) {
          note.focus();
          break;
        }
        button.click();
        break;
      }
      case 'n':
        follow('next');
        break;
      case 'q':
        follow('queue');
        break;
      default:
        return;
    }
    event.preventDefault();
  });
})();
