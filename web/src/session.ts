// Who is signed in: /api/me, kept in one store the whole app reads through useSession().
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, setCsrfToken } from "./api";
import type { Me, Project, Role } from "./types";
import { forgetDrawings } from "./widgets/drawings";

type State = { me: Me | null; loading: boolean };
let state: State = { me: null, loading: true };
const listeners = new Set<(s: State) => void>();

function publish(next: State): void {
  state = next;
  listeners.forEach((listener) => listener(state));
}

export async function loadSession(): Promise<Me | null> {
  try {
    const me = await api.get<Me>("/api/me");
    setCsrfToken(me.csrf_token);
    publish({ me, loading: false });
    return me;
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) console.error(error);
    publish({ me: null, loading: false });
    return null;
  }
}

export async function signIn(email: string, password: string): Promise<Me | null> {
  const reply = await api.post<{ csrf_token: string }>("/api/auth/login", { email, password });
  setCsrfToken(reply.csrf_token);
  return loadSession();
}

export async function signOut(): Promise<void> {
  try {
    await api.post("/api/auth/logout");
  } finally {
    forgetDrawings();
    publish({ me: null, loading: false });
  }
}

export function useSession(): State {
  const [current, setCurrent] = useState(state);
  useEffect(() => {
    listeners.add(setCurrent);
    setCurrent(state);
    return () => {
      listeners.delete(setCurrent);
    };
  }, []);
  return current;
}

export function projectOf(me: Me | null, id: string | undefined): Project | undefined {
  return me?.projects.find((project) => String(project.id) === id);
}

const RANK: Record<Role, number> = { owner: 5, admin: 4, analyst: 3, coach: 1, finance: 1, viewer: 1 };

/** Whether `role` is at least `needed` on the owner > admin > analyst > others ladder. */
export function canAct(role: Role | undefined, needed: "analyst" | "admin" | "owner"): boolean {
  return role !== undefined && RANK[role] >= RANK[needed];
}
