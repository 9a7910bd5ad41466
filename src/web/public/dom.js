// DOM helpers. Report text comes from scraped pages and a model: it only ever becomes text nodes.

/** An element with attributes (`on*` are listeners) and children; strings become text, never HTML. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (name === 'class') el.className = value;
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** Only http(s) addresses become links; anything else (javascript:, data:) is shown as text. */
export function safeHref(url) {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null;
  } catch {
    return null;
  }
}

/** A link that opens the site in a new tab, or plain text when the address is not http(s). */
export function link(url, label = url, fragment = '') {
  const href = safeHref(url);
  if (!href) return h('span', null, label);
  return h('a', { href: href.replace(/#.*$/, '') + fragment, target: '_blank', rel: 'noopener noreferrer' }, label);
}

export function $(selector) {
  return document.querySelector(selector);
}
