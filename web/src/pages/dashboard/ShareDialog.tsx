// Sharing a dashboard: with a user (by e-mail) to view or edit, and public links.
import { useEffect, useState } from "preact/hooks";
import { api, errorText } from "../../api";
import { Dialog, ErrorNote } from "../../components/Dialog";
import type { Share } from "../../types";

export function ShareDialog({ base, onClose }: { base: string; onClose: () => void }) {
  const [shares, setShares] = useState<Share[]>([]);
  const [email, setEmail] = useState("");
  const [permission, setPermission] = useState<"view" | "edit">("view");
  const [error, setError] = useState<string | null>(null);
  // Public tokens are stored hashed: the link can be shown only right after it is made.
  const [fresh, setFresh] = useState<Share | null>(null);
  const load = () => api.get<Share[]>(`${base}/shares`).then(setShares, (e) => setError(errorText(e)));
  useEffect(() => {
    load();
  }, [base]);

  const create = async (body: Record<string, unknown>) => {
    setError(null);
    try {
      const made = await api.post<Share>(`${base}/shares`, body);
      if (made.url) setFresh(made);
      setEmail("");
      await load();
    } catch (e) {
      setError(errorText(e));
    }
  };
  const revoke = async (share: Share) => {
    setError(null);
    try {
      await api.del(`${base}/shares/${share.id}`);
      await load();
    } catch (e) {
      setError(errorText(e));
    }
  };
  const publicLinks = shares.filter((s) => s.public);
  const people = shares.filter((s) => !s.public);

  return (
    <Dialog title="Share dashboard" onClose={onClose}>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          if (email.trim()) create({ email: email.trim(), permission });
        }}
      >
        <div class="field grow">
          <label for="share-email">E-mail of a user</label>
          <input id="share-email" type="email" required value={email} onInput={(e) => setEmail((e.target as HTMLInputElement).value)} />
        </div>
        <div class="field">
          <label for="share-permission">Permission</label>
          <select id="share-permission" value={permission} onChange={(e) => setPermission((e.target as HTMLSelectElement).value as "view" | "edit")}>
            <option value="view">Can view</option>
            <option value="edit">Can edit</option>
          </select>
        </div>
        <button type="submit">Share</button>
      </form>
      <ErrorNote error={error} />
      {people.length > 0 && (
        <ul class="list">
          {people.map((share) => (
            <li key={share.id}>
              <span>{share.email ?? `user ${share.user_id}`}</span>
              <span class="badge">{share.permission}</span>
              <button type="button" class="secondary small" onClick={() => revoke(share)}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <h3>Public link</h3>
      <p class="muted">Anyone with the link can view this dashboard without signing in. Revoking makes the link stop working.</p>
      {publicLinks.map((share) => {
        const known = share.url ?? (fresh && fresh.id === share.id ? fresh.url : null);
        const url = known ? new URL(known, location.origin).toString() : null;
        return (
          <div class="row" key={share.id}>
            {url ? (
              <>
                <input aria-label="Public link" readOnly value={url} class="grow" onFocus={(e) => (e.target as HTMLInputElement).select()} data-testid="public-url" />
                <button type="button" class="secondary small" onClick={() => navigator.clipboard?.writeText(url)}>
                  Copy
                </button>
              </>
            ) : (
              <span class="grow muted">A public link is active (its address was shown when it was made).</span>
            )}
            <button type="button" class="danger small" onClick={() => revoke(share)}>
              Revoke
            </button>
          </div>
        );
      })}
      {publicLinks.length === 0 && (
        <button type="button" onClick={() => create({ public: true, permission: "view" })}>
          Create public link
        </button>
      )}
    </Dialog>
  );
}
