// Click autocapture: which element a click was meant for, and how to describe it.

const INTERESTING = new Set(["a", "button", "input", "select", "textarea", "label", "summary"]);
const MAX_DEPTH = 12;
const MAX_TEXT = 255;

function tagOf(el) {
  return String(el.tagName || "").toLowerCase();
}

function classesOf(el) {
  const raw = typeof el.className === "string" ? el.className : el.getAttribute?.("class") || "";
  return raw.split(/\s+/).filter(Boolean);
}

function optedOut(el) {
  return el.hasAttribute?.("data-heron-no-capture") || classesOf(el).includes("heron-no-capture");
}

/** The element a click on `target` is about, or null (nothing interesting, or opted out). */
export function clickTarget(target) {
  let el = target && target.nodeType === 3 ? target.parentElement : target;
  let found = null;
  for (let depth = 0; el && depth < MAX_DEPTH && tagOf(el) !== "html"; depth++) {
    if (optedOut(el)) return null;
    if (!found && (INTERESTING.has(tagOf(el)) || el.getAttribute?.("role") === "button")) found = el;
    el = el.parentElement;
  }
  if (!found) return null;
  const type = String(found.getAttribute?.("type") || "").toLowerCase();
  if (tagOf(found) === "input" && (type === "password" || type === "hidden")) return null;
  return found;
}

/** A short CSS selector for `el`: up to five levels, stopping at an id. */
export function selectorOf(el) {
  const parts = [];
  for (let node = el; node && parts.length < 5 && tagOf(node) !== "html"; node = node.parentElement) {
    const tag = tagOf(node);
    if (node.id) {
      parts.unshift(`${tag}#${node.id}`);
      break;
    }
    let part = tag + classesOf(node).slice(0, 2).map((c) => `.${c}`).join("");
    const siblings = Array.from(node.parentElement?.children || []).filter((s) => tagOf(s) === tag);
    if (siblings.length > 1) part += `:nth-of-type(${siblings.indexOf(node) + 1})`;
    parts.unshift(part);
  }
  return parts.join(" > ");
}

function textOf(el) {
  const tag = tagOf(el);
  if (tag === "input") {
    const type = String(el.getAttribute?.("type") || "").toLowerCase();
    return ["submit", "button", "reset"].includes(type) ? el.value || "" : "";
  }
  if (tag === "select" || tag === "textarea") return "";
  return String(el.textContent || "").replace(/\s+/g, " ").trim().slice(0, MAX_TEXT);
}

/** The `$autocapture` properties of a click on `el` (never an input's value). */
export function describeClick(el) {
  const props = { $event_type: "click", $el_tag: tagOf(el), $el_text: textOf(el), $el_selector: selectorOf(el) };
  if (el.id) props.$el_id = el.id;
  const classes = classesOf(el);
  if (classes.length) props.$el_classes = classes;
  const href = tagOf(el) === "a" ? el.getAttribute?.("href") : null;
  if (href) props.$el_href = href;
  return props;
}
