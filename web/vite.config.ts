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
    // Pages are split by their dynamic imports (main.tsx); the large libraries get chunks of
    // their own names, loaded only by the pages and widgets that use them.
    rolldownOptions: {
      output: {
        codeSplitting: {
          groups: [
            { name: "echarts", test: /node_modules[\\/](echarts|zrender|tslib)[\\/]/ },
            { name: "gridstack", test: /node_modules[\\/]gridstack[\\/]/ },
            { name: "codemirror", test: /node_modules[\\/](@codemirror|@lezer|crelt|style-mod|w3c-keyname)[\\/]/ },
          ],
        },
      },
    },
  },
});
