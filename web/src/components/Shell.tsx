// The signed-in frame: brand, organization and project switchers, navigation, the account menu.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, errorText } from "../api";
import { navigate } from "../router";
import { canAct, projectOf, signOut, useSession } from "../session";
import { applyTheme } from "../theme";
import type { Theme } from "../types";
import { Dialog, ErrorNote } from "./Dialog";

function PasswordDialog({ onClose }: { onClose: () => void }) {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      await api.post("/api/me/password", { current_password: current, new_password: next });
      setDone(true);
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <Dialog title="Change password" onClose={onClose}>
      {done ? (
        <p role="status">Your password was changed.</p>
      ) : (
        <form class="stack" onSubmit={submit}>
          <div class="field">
            <label for="current-password">Current password</label>
            <input id="current-password" type="password" autocomplete="current-password" required value={current} onInput={(e) => setCurrent((e.target as HTMLInputElement).value)} />
          </div>
          <div class="field">
            <label for="new-password">New password (at least 8 characters)</label>
            <input id="new-password" type="password" autocomplete="new-password" minLength={8} required value={next} onInput={(e) => setNext((e.target as HTMLInputElement).value)} />
          </div>
          <ErrorNote error={error} />
          <button type="submit">Change password</button>
        </form>
      )}
    </Dialog>
  );
}

export function Shell({ projectId, section, children }: { projectId: string; section: string; children: ComponentChildren }) {
  const { me } = useSession();
  const [passwordOpen, setPasswordOpen] = useState(false);
  const project = projectOf(me, projectId);
  const orgId = project?.organization_id;
  useEffect(() => {
    if (orgId === undefined) return applyTheme(null);
    api.get<Theme>(`/api/organizations/${orgId}/theme`).then(applyTheme, () => applyTheme(null));
  }, [orgId]);
  if (!me) return null;
  const orgProjects = me.projects.filter((p) => p.organization_id === orgId);
  const links = [
    { id: "dashboards", label: "Dashboards", href: `/projects/${projectId}/dashboards` },
    { id: "insights", label: "Insights", href: `/projects/${projectId}/insights` },
    ...(canAct(project?.role, "analyst") ? [{ id: "sql", label: "SQL", href: `/projects/${projectId}/sql` }] : []),
    ...(canAct(project?.role, "admin")
      ? [
          { id: "settings", label: "Settings", href: `/projects/${projectId}/settings` },
          { id: "api-keys", label: "API keys", href: `/projects/${projectId}/api-keys` },
        ]
      : []),
  ];
  return (
    <div class="shell">
      <a class="skip-link" href="#content">Skip to content</a>
      <header class="topbar">
        <a class="brand" href={`/projects/${projectId}/dashboards`}>Heron</a>
        <div class="switchers">
          {me.organizations.length > 1 && (
            <select
              aria-label="Organization"
              value={String(orgId ?? "")}
              onChange={(e) => {
                const org = (e.target as HTMLSelectElement).value;
                const first = me.projects.find((p) => String(p.organization_id) === org);
                if (first) navigate(`/projects/${first.id}/dashboards`);
              }}
            >
              {me.organizations.map((o) => (
                <option key={o.id} value={String(o.id)}>{o.name}</option>
              ))}
            </select>
          )}
          <select aria-label="Project" value={projectId} onChange={(e) => navigate(`/projects/${(e.target as HTMLSelectElement).value}/${section === "dashboard" ? "dashboards" : section}`)}>
            {(orgProjects.length ? orgProjects : me.projects).map((p) => (
              <option key={p.id} value={String(p.id)}>{p.name}</option>
            ))}
          </select>
        </div>
        <nav aria-label="Main">
          <ul>
            {links.map((link) => (
              <li key={link.id}>
                <a href={link.href} aria-current={section === link.id || (section === "dashboard" && link.id === "dashboards") ? "page" : undefined}>
                  {link.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <details class="menu account">
          <summary aria-label="Account">{me.user.name || me.user.email}</summary>
          <div class="menu-items" role="menu">
            <span class="muted small">{project?.role}</span>
            <button type="button" role="menuitem" onClick={() => setPasswordOpen(true)}>Change password</button>
            <button type="button" role="menuitem" onClick={async () => { await signOut(); navigate("/login", true); }}>Sign out</button>
          </div>
        </details>
      </header>
      <div id="content">{children}</div>
      {passwordOpen && <PasswordDialog onClose={() => setPasswordOpen(false)} />}
    </div>
  );
}
