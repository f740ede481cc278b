// Small DOM helpers. Server data only ever reaches the page through
// textContent and attribute values, never as markup.

// h('td', {class: 'num', dataset: {col: 'lag'}}, 'text', childNode, ...)
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'text') el.textContent = value;
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function $(selector, root = document) {
  const el = root.querySelector(selector);
  if (!el) throw new Error(`dashboard: no element ${selector}`);
  return el;
}

// Keeps tbody's rows in step with `items` without rebuilding rows that stay
// (so a focused button in a row survives a refresh).
//   key(item)          a stable string per row
//   create(item)       a new <tr>; called once per key
//   update(tr, item)   refreshes the cells of an existing or new row
//   empty              text of the single row shown when there are no items
export function syncRows(tbody, items, { key, create, update, empty, columns }) {
  const existing = new Map();
  for (const tr of Array.from(tbody.rows)) {
    if (tr.dataset.key !== undefined) existing.set(tr.dataset.key, tr);
    else tr.remove();
  }
  let previous = null;
  for (const item of items) {
    const k = key(item);
    let tr = existing.get(k);
    if (tr) existing.delete(k);
    else {
      tr = create(item);
      tr.dataset.key = k;
    }
    update(tr, item);
    const want = previous ? previous.nextSibling : tbody.firstChild;
    if (tr !== want) tbody.insertBefore(tr, want);
    previous = tr;
  }
  for (const tr of existing.values()) tr.remove();
  if (items.length === 0) {
    tbody.append(h('tr', { class: 'empty-row' }, h('td', { colspan: columns, text: empty })));
  }
}

// Sets a cell's text and its raw value (data-value) for tests and tooltips.
export function setCell(td, text, raw, title) {
  if (td.textContent !== text) td.textContent = text;
  if (raw !== undefined) td.dataset.value = String(raw);
  if (title !== undefined) td.title = title;
}
