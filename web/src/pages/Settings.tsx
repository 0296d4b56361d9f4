// Project settings (name, timezone, currency) and the project's API keys.
import { useEffect, useState } from "preact/hooks";
import { api, errorText } from "../api";
import { Dialog, ErrorNote } from "../components/Dialog";
import { useTitle } from "../lib/hooks";
import { canAct, loadSession, projectOf, useSession } from "../session";
import { ThemeSettings } from "./ThemeSettings";
import type { ApiKey, Project, Role } from "../types";

const zones = (): string[] => {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  return intl.supportedValuesOf?.("timeZone") ?? ["UTC"];
};

export function Settings({ projectId }: { projectId: string }) {
  const { me } = useSession();
  const organization = me?.organizations.find((o) => o.id === projectOf(me, projectId)?.organization_id);
  const [project, setProject] = useState<Project | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  useTitle("Project settings");
  useEffect(() => {
    api.get<Project>(`/api/projects/${projectId}`).then(setProject, (e) => setError(errorText(e)));
  }, [projectId]);

  const save = async (event: Event) => {
    event.preventDefault();
    if (!project) return;
    try {
      setProject(await api.patch<Project>(`/api/projects/${projectId}`, { name: project.name, timezone: project.timezone, currency: project.currency }));
      setNotice("Settings saved.");
      loadSession();
    } catch (e) {
      setError(errorText(e));
    }
  };

  const allZones = zones();
  return (
    <main class="page narrow">
      <h1>Project settings</h1>
      <ErrorNote error={error} />
      {project && (
        <form class="stack" onSubmit={save}>
          <div class="field">
            <label for="project-name">Name</label>
            <input id="project-name" required value={project.name} onInput={(e) => setProject({ ...project, name: (e.target as HTMLInputElement).value })} />
          </div>
          <div class="field">
            <label for="timezone">Timezone (days and weeks are counted in it)</label>
            <select id="timezone" value={project.timezone} onChange={(e) => setProject({ ...project, timezone: (e.target as HTMLSelectElement).value })}>
              {(allZones.includes(project.timezone) ? allZones : [project.timezone, ...allZones]).map((z) => <option key={z} value={z}>{z}</option>)}
            </select>
          </div>
          <div class="field">
            <label for="currency">Currency (ISO code)</label>
            <input id="currency" pattern="[A-Za-z]{3}" maxLength={3} value={project.currency ?? ""} onInput={(e) => setProject({ ...project, currency: (e.target as HTMLInputElement).value.toUpperCase() })} />
          </div>
          <button type="submit">Save settings</button>
          {notice && <p role="status" class="notice">{notice}</p>}
        </form>
      )}
      {organization && canAct(organization.role, "owner") && (
        <>
          <hr />
          <ThemeSettings organizationId={organization.id} />
        </>
      )}
    </main>
  );
}

export function ApiKeys({ projectId }: { projectId: string }) {
  const base = `/api/projects/${projectId}/api-keys`;
  const [keys, setKeys] = useState<ApiKey[] | null>(null);
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("analyst");
  const [secret, setSecret] = useState<{ name: string; key: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useTitle("API keys");
  const load = () => api.get<ApiKey[]>(base).then(setKeys, (e) => setError(errorText(e)));
  useEffect(() => {
    load();
  }, [base]);

  const create = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      const made = await api.post<{ name: string; key: string }>(base, { name, role });
      setSecret(made);
      setName("");
      await load();
    } catch (e) {
      setError(errorText(e));
    }
  };

  return (
    <main class="page narrow">
      <h1>API keys</h1>
      <p class="muted">Personal keys for the query and management API (<code>Authorization: Bearer hk_…</code>).</p>
      <form class="row" onSubmit={create}>
        <div class="field grow">
          <label for="key-name">New key name</label>
          <input id="key-name" required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </div>
        <div class="field">
          <label for="key-role">Role</label>
          <select id="key-role" value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value as Role)}>
            {(["viewer", "analyst", "admin", "owner"] as Role[]).map((r) => <option key={r} value={r}>{r}</option>)}
          </select>
        </div>
        <button type="submit">Create key</button>
      </form>
      <ErrorNote error={error} />
      {keys && (
        <table class="data-table list-table">
          <caption class="visually-hidden">API keys</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Key</th>
              <th scope="col">Role</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col"><span class="visually-hidden">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => (
              <tr key={k.id}>
                <th scope="row">{k.name}</th>
                <td><code>{k.prefix ? `${k.prefix}…` : "…"}</code></td>
                <td>{k.role ?? ""}</td>
                <td>{k.created_at ? new Date(k.created_at).toLocaleDateString() : ""}</td>
                <td>{k.last_used_at ? new Date(k.last_used_at).toLocaleString() : "never"}</td>
                <td class="actions">
                  <button
                    type="button"
                    class="danger small"
                    aria-label={`Revoke ${k.name}`}
                    onClick={async () => {
                      if (!confirm(`Revoke the key “${k.name}”? Scripts using it stop working.`)) return;
                      try {
                        await api.del(`${base}/${k.id}`);
                        await load();
                      } catch (e) {
                        setError(errorText(e));
                      }
                    }}
                  >
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {secret && (
        <Dialog title="Your new API key" onClose={() => setSecret(null)}>
          <p>Copy the key “{secret.name}” now: it is shown only once.</p>
          <input aria-label="API key" readOnly value={secret.key} class="code wide-input" data-testid="new-key" onFocus={(e) => (e.target as HTMLInputElement).select()} />
          <div class="row end">
            <button type="button" class="secondary" onClick={() => navigator.clipboard?.writeText(secret.key)}>Copy</button>
            <button type="button" onClick={() => setSecret(null)}>Done</button>
          </div>
        </Dialog>
      )}
    </main>
  );
}
