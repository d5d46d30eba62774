import { getMigrations } from "better-auth/db/migration";
import { expect, it } from "vitest";
import { betterAuthOptions } from "@/lib/auth/better-auth";
import { parseConfig } from "@/lib/config";
import type { Database } from "@/lib/store/database";

/**
 * Our migration of better-auth's tables ("0003_accounts") against better-auth's own planner, on
 * either database: nothing to create, nothing to add, in each mode that uses it. An upgrade of
 * better-auth that needs a column fails here, not at a person's first sign-in.
 */
export function describeAccountSchema(database: () => Database) {
  for (const mode of ["oidc", "password"] as const) {
    it(`has every table and column better-auth plans for AUTH_MODE=${mode}`, async () => {
      const config = parseConfig({
        AUTH_MODE: mode,
        AUTH_SECRET: "s".repeat(40),
        PUBLIC_URL: "http://127.0.0.1:3000",
        OIDC_ISSUER: "http://127.0.0.1:9/",
        OIDC_CLIENT_ID: "client",
        OIDC_CLIENT_SECRET: "secret",
      });
      const plan = await getMigrations(betterAuthOptions(config.auth, database()));
      expect(plan.toBeCreated.map((table) => table.table)).toEqual([]);
      expect(plan.toBeAdded.map((table) => `${table.table}: ${Object.keys(table.fields).join(", ")}`)).toEqual([]);
    });
  }
}
