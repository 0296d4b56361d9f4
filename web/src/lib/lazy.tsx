// Code splitting: a component whose module loads on first use (its own chunk), so a page
// loads only the code it shows. After the first load it renders synchronously.
import type { ComponentType, JSX } from "preact";
import { useEffect, useState } from "preact/hooks";

export interface Lazy<P> {
  (props: P): JSX.Element | null;
  /** Starts loading the module now (e.g. at start-up, alongside the page's first requests). */
  preload(): Promise<ComponentType<P>>;
}

export function lazy<P>(load: () => Promise<ComponentType<P>>, fallback: () => JSX.Element | null = () => null): Lazy<P> {
  let loaded: ComponentType<P> | null = null;
  let pending: Promise<ComponentType<P>> | null = null;
  const preload = () => {
    pending ??= load().then(
      (component) => (loaded = component),
      (error) => {
        pending = null;
        throw error;
      },
    );
    return pending;
  };
  function LazyComponent(props: P) {
    const [component, setComponent] = useState<ComponentType<P> | null>(() => loaded);
    const [failed, setFailed] = useState(false);
    useEffect(() => {
      if (!component) preload().then((c) => setComponent(() => c), () => setFailed(true));
    }, []);
    const Shown = component ?? loaded;
    if (Shown) return <Shown {...(props as P & JSX.IntrinsicAttributes)} />;
    if (failed) return <p class="error" role="alert">This part of the app could not be loaded: reload the page.</p>;
    return fallback();
  }
  LazyComponent.preload = preload;
  return LazyComponent;
}
