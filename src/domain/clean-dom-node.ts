/**
 * The DOM vocabulary the cleaner's modules share: the domhandler node as the cleaner reads it, and
 * which elements never hold visible text and which start a new line of it. Pure.
 */

/** A domhandler node, as far as the cleaner reads it. */
export interface DomNode {
  type: string;
  name?: string;
  data?: string;
  attribs?: Record<string, string>;
  children?: DomNode[];
  parent?: DomNode | null;
}

export const isElement = (n: DomNode) => n.type === 'tag' || n.type === 'script' || n.type === 'style';

// Never visible text (or text of controls: prune cuts out the sentences they sit in).
export const NON_CONTENT = new Set([
  'script', 'style', 'noscript', 'template', 'svg', 'iframe', 'object', 'embed', 'canvas', 'map', 'datalist', 'head',
  'link', 'meta', 'title', 'base', 'rt', 'rp', 'select', 'option', 'optgroup', 'textarea', 'input', 'audio', 'video',
  'source', 'track', 'picture', 'img', 'button', 'label', 'legend', 'progress', 'meter', 'output', 'dialog', 'frame',
  'frameset', 'applet',
]);

// Elements that start a new line of text; everything else flows inline.
export const BLOCK_TAGS = new Set([
  'address', 'article', 'aside', 'blockquote', 'br', 'caption', 'dd', 'details', 'dialog', 'div', 'dl', 'dt',
  'fieldset', 'figcaption', 'figure', 'footer', 'form', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hr',
  'legend', 'li', 'main', 'nav', 'ol', 'p', 'pre', 'section', 'summary', 'table', 'tbody', 'td', 'tfoot', 'th',
  'thead', 'tr', 'ul', 'body', 'html', 'menu', 'center', 'hgroup', 'search',
]);
