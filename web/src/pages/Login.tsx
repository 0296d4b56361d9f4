// Sign-in with e-mail and password.
import { useState } from "preact/hooks";
import { ApiError, errorText } from "../api";
import { ErrorNote } from "../components/Dialog";
import { useTitle } from "../lib/hooks";
import { navigate } from "../router";
import { signIn } from "../session";

export function Login() {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useTitle("Sign in");

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const me = await signIn(email, password);
      const next = new URLSearchParams(location.search).get("next");
      const first = me?.projects[0];
      navigate(next && next.startsWith("/") && !next.startsWith("//") ? next : first ? `/projects/${first.id}/dashboards` : "/", true);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) setError("Wrong e-mail or password.");
      else if (e instanceof ApiError && e.status === 429) setError("Too many attempts. Wait a minute and try again.");
      else setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="login">
      <form class="card stack" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Sign in to Heron</h1>
        <div class="field">
          <label for="email">E-mail</label>
          <input id="email" type="email" autocomplete="username" required value={email} onInput={(e) => setEmail((e.target as HTMLInputElement).value)} />
        </div>
        <div class="field">
          <label for="password">Password</label>
          <input id="password" type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
        </div>
        <ErrorNote error={error} />
        <button type="submit" disabled={busy}>{busy ? "Signing in…" : "Sign in"}</button>
      </form>
    </main>
  );
}
