/* global document, Node */
/**
 * A small element builder: `h('a', {href: '#/'}, 'text', child)`. Attributes starting with `on`
 * become event listeners; `class`, `for` and aria/data attributes are set as attributes. Text is
 * always inserted as text, never parsed as HTML.
 * @param {string} tag
 * @param {Record<string, unknown> | null} [attributes]
 * @param {...unknown} children
 * @returns {HTMLElement}
 */
export function h(tag, attributes, ...children) {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2).toLowerCase(), value)
    } else if (name === 'value' && 'value' in element) {
      element.value = String(value)
    } else if (name === 'checked' || name === 'selected' || name === 'disabled') {
      element[name] = Boolean(value)
    } else {
      element.setAttribute(name, value === true ? '' : String(value))
    }
  }
  append(element, children)
  return element
}

/** Appends children (strings, numbers, nodes, arrays, null skipped). */
export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)))
  }
  return parent
}

/** Replaces everything inside `parent`. */
export function replace(parent, ...children) {
  parent.replaceChildren()
  return append(parent, children)
}

/** A status paragraph that screen readers announce. */
export function status(text, kind = 'info') {
  return h(
    'p',
    { class: `status status-${kind}`, role: kind === 'error' ? 'alert' : 'status' },
    text,
  )
}
