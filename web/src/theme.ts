// Theme tokens: an organization's colours and dark mode, as CSS custom properties.
import type { Theme } from "./types";

const TOKENS = ["primary", "accent", "background", "surface", "text"] as const;
/** In dark mode only the brand colours apply: the page colours come from the dark palette. */
const DARK_TOKENS = new Set(["primary", "accent"]);

/** Sent on `window` when the applied theme changes: charts, which hold literal colours, redraw. */
export const THEME_CHANGED = "heron:theme-changed";
let applied = "";

export function applyTheme(theme: Theme | undefined | null): void {
  const signature = JSON.stringify([theme?.colors ?? null, Boolean(theme?.dark_mode)]);
  const changed = signature !== applied;
  applied = signature;
  const root = document.documentElement;
  const dark = Boolean(theme?.dark_mode);
  root.dataset.theme = dark ? "dark" : "light";
  for (const token of TOKENS) {
    if (dark && !DARK_TOKENS.has(token)) {
      root.style.removeProperty(`--${token}`);
      continue;
    }
    const value = theme?.colors?.[token];
    if (value && /^#[0-9a-fA-F]{3,8}$|^[a-z]+$|^rgb/.test(value)) root.style.setProperty(`--${token}`, value);
    else root.style.removeProperty(`--${token}`);
  }
  if (changed) window.dispatchEvent(new Event(THEME_CHANGED));
}

/** A CSS custom property's current value (for charts, which need literal colours). */
export function token(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(`--${name}`).trim();
}
