// The organization's theme (owners): name, logo, colours as theme tokens, dark mode. Public
// dashboards and the app use it; it is tokens only, never free-form CSS.
import { useEffect, useState } from "preact/hooks";
import { api, errorText } from "../api";
import { ErrorNote } from "../components/Dialog";
import { applyTheme } from "../theme";
import type { Theme } from "../types";

const COLORS = [
  ["primary", "Primary (buttons, charts)"],
  ["accent", "Accent"],
  ["background", "Page background"],
  ["surface", "Panels"],
  ["text", "Text"],
] as const;

export function ThemeSettings({ organizationId }: { organizationId: string | number }) {
  const base = `/api/organizations/${organizationId}/theme`;
  const [theme, setTheme] = useState<Theme | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  useEffect(() => {
    api.get<Theme>(base).then(setTheme, (e) => setError(errorText(e)));
  }, [base]);
  if (!theme) return <ErrorNote error={error} />;

  const save = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      const saved = await api.put<Theme>(base, { ...theme, logo_url: theme.logo_url || null });
      setTheme(saved);
      applyTheme(saved);
      setNotice("Theme saved.");
    } catch (e) {
      setError(errorText(e));
    }
  };

  return (
    <form class="stack" onSubmit={save} aria-labelledby="theme-title">
      <h2 id="theme-title">Organization theme</h2>
      <p class="muted">Used by shared dashboards and this app.</p>
      <div class="field">
        <label for="theme-name">Name shown on shared dashboards</label>
        <input id="theme-name" required value={theme.name ?? ""} onInput={(e) => setTheme({ ...theme, name: (e.target as HTMLInputElement).value })} />
      </div>
      <div class="field">
        <label for="theme-logo">Logo URL (https:// or a path on this site)</label>
        <input id="theme-logo" type="text" value={theme.logo_url ?? ""} onInput={(e) => setTheme({ ...theme, logo_url: (e.target as HTMLInputElement).value })} />
      </div>
      <div class="row">
        {COLORS.map(([token, label]) => (
          <div class="field" key={token}>
            <label for={`theme-${token}`}>{label}</label>
            <input
              id={`theme-${token}`}
              type="color"
              value={theme.colors?.[token] ?? "#000000"}
              onInput={(e) => setTheme({ ...theme, colors: { ...theme.colors, [token]: (e.target as HTMLInputElement).value } })}
            />
          </div>
        ))}
      </div>
      <div class="field checkbox">
        <input id="theme-dark" type="checkbox" checked={Boolean(theme.dark_mode)} onChange={(e) => setTheme({ ...theme, dark_mode: (e.target as HTMLInputElement).checked })} />
        <label for="theme-dark">Dark mode</label>
      </div>
      <ErrorNote error={error} />
      <button type="submit">Save theme</button>
      {notice && <p role="status" class="notice">{notice}</p>}
    </form>
  );
}
