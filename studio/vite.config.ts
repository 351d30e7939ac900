/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The studio is served by the gateway at /studio/. In development (`npm run dev`) Vite serves
// it with hot reload and sends API and media requests to the local stack's gateway.
const gateway = process.env.VP_GATEWAY_URL ?? "http://127.0.0.1:8000";

export default defineConfig({
  base: "/studio/",
  plugins: [react()],
  build: { outDir: "dist", sourcemap: true, chunkSizeWarningLimit: 800 },
  server: {
    port: 5173,
    proxy: {
      "/api": gateway,
      "/media": gateway,
    },
  },
  test: {
    environment: "jsdom",
    setupFiles: ["src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
