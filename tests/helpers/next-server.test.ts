import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { APP_SETTING_VARIABLES } from "@/tests/helpers/next-server";

/**
 * The servers the integration and e2e tests start must see only the settings each test gives them:
 * a developer's own GEMINI_API_KEY or IMAGE_CACHE_MB would otherwise change what a test checks.
 */
describe("APP_SETTING_VARIABLES", () => {
  it("covers every setting .env.example documents", async () => {
    const example = await readFile(path.resolve(import.meta.dirname, "../../.env.example"), "utf8");
    const names = [...example.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]!);
    expect(names).toContain("IMAGE_CACHE_MB");
    expect(names).toContain("IMAGE_CACHE_MINUTES");
    expect(names.filter((name) => !APP_SETTING_VARIABLES.test(name))).toEqual([]);
  });

  it("leaves the rest of the environment alone", () => {
    for (const name of ["PATH", "HOME", "NODE_OPTIONS", "NEXT_DIST_DIR", "IMAGE_MAGICK_HOME"]) {
      expect(APP_SETTING_VARIABLES.test(name)).toBe(false);
    }
  });
});
