import { startOidcProvider } from "../helpers/oidc-provider";
import { OIDC_CALLBACK_URL, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_PROVIDER_PORT } from "./oidc-env";

/**
 * The OpenID provider of the Playwright run, as a process of its own (playwright.config.ts starts
 * it as a web server, before the oidc app server): `npx tsx tests/e2e/oidc-server.ts`. The specs,
 * in worker processes, choose who signs in next through its control endpoint (oidc-env.ts).
 */
const provider = await startOidcProvider({
  port: OIDC_PROVIDER_PORT,
  clientId: OIDC_CLIENT_ID,
  clientSecret: OIDC_CLIENT_SECRET,
  redirectUris: [OIDC_CALLBACK_URL],
  control: true,
});
console.log(`OIDC test provider at ${provider.issuer}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void provider.stop().then(() => process.exit(0));
  });
}
