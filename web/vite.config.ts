import { fileURLToPath } from "node:url";
import preact from "@preact/preset-vite";
import { defineConfig } from "vite";

// The build lands inside the Python package, which serves it: /assets/* and index.html as the
// SPA entry for every page path (see docs/web.md).
export default defineConfig({
  plugins: [preact()],
  base: "/",
  build: {
    outDir: fileURLToPath(new URL("../src/heron/app/web/dist", import.meta.url)),
    emptyOutDir: true,
    assetsDir: "assets",
    chunkSizeWarningLimit: 2000,
    sourcemap: false,
  },
});
