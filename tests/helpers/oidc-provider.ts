import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import { once } from "node:events";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A real OpenID Connect provider for tests, built on `oidc-provider`, on 127.0.0.1: discovery,
 * authorization code flow with PKCE, ID tokens, userinfo. Nobody fills a sign-in form: the helper
 * answers the provider's interaction page itself, signing in the user `setNextUser` names (or
 * refusing, see `refuseSignIns`).
 *
 * The provider remembers no sign-in: each authorization request starts as if the browser had never
 * been there, so the user who signs in is always the one the test chose, and switching users never
 * meets oidc-provider's "sign out first?" page. With nothing remembered there is nothing to sign out
 * of, so RP-initiated logout is off and discovery has no `end_session_endpoint`.
 */

export interface OidcTestUser {
  email: string;
  name?: string;
  /** Sent as the `email_verified` claim; true unless given. */
  emailVerified?: boolean;
  /** The `sub` claim; derived from the email unless given, so one email always has one subject. */
  subject?: string;
}

export interface OidcProviderOptions {
  /**
   * The app's callback URLs, compared character for character with the `redirect_uri` it sends:
   * host, port and path included (better-auth's is `${baseURL}/api/auth/callback/<providerId>`).
   */
  redirectUris: string[];
  clientId?: string;
  /** A fresh random secret unless given. */
  clientSecret?: string;
  /** Any free port unless given. */
  port?: number;
  /**
   * Also answer `POST /__control/next-user` (an OidcTestUser as JSON) and
   * `POST /__control/refuse-sign-ins` (`{"refuse": boolean}`), so that a test in another process
   * (a Playwright spec, while tests/e2e/oidc-server.ts runs the provider) can do what
   * `setNextUser` and `refuseSignIns` do. Off unless asked for: a provider should not take orders.
   */
  control?: boolean;
}

export interface OidcTestProvider {
  /** `http://127.0.0.1:PORT`; discovery is at `${issuer}/.well-known/openid-configuration`. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Who signs in from now on, until changed. */
  setNextUser(user: OidcTestUser): void;
  /** While true, every sign-in ends at the redirect URI with `error=access_denied`. */
  refuseSignIns(refuse: boolean): void;
  /**
   * While true, ID tokens carry a nonce other than the one the authorization request sent, as a
   * token minted for another sign-in would: the app must refuse them.
   */
  sendWrongNonces(wrong: boolean): void;
  /** Closes the server and every connection to it. */
  stop(): Promise<void>;
}

export const DEFAULT_OIDC_USER: Readonly<OidcTestUser> = {
  email: "oidc.user@example.test",
  name: "OIDC Test User",
  emailVerified: true,
};

const INTERACTION_PATH = "/interaction/";
export const CONTROL_PATH = "/__control/";
const MAX_CONTROL_BODY_BYTES = 4_096;
const AUTHORIZATION_PATH = "/auth";

/**
 * The slice of oidc-provider this helper uses: the package ships no types and @types/oidc-provider
 * is not installed.
 */
interface OidcInteraction {
  params: Record<string, unknown>;
}
interface OidcGrant {
  addOIDCScope(scope: string): void;
  save(): Promise<string>;
}
type InteractionResult =
  | { login: { accountId: string }; consent: { grantId: string } }
  | { error: string; error_description: string };
interface OidcProvider {
  callback(): (request: IncomingMessage, response: ServerResponse) => Promise<void>;
  interactionDetails(request: IncomingMessage, response: ServerResponse): Promise<OidcInteraction>;
  interactionFinished(
    request: IncomingMessage,
    response: ServerResponse,
    result: InteractionResult,
    options: { mergeWithLastSubmission: boolean },
  ): Promise<void>;
  Grant: new (properties: { accountId: string; clientId: string }) => OidcGrant;
}
type OidcProviderConstructor = new (issuer: string, configuration: object) => OidcProvider;

let providerModule: Promise<OidcProviderConstructor> | undefined;

/**
 * oidc-provider announces, once per process, that it would rather run on a newer Node and that its
 * in-memory store is for development only: both true and harmless here, and noise in test output.
 * Only its own lines are held back, and only while it loads and starts.
 */
async function withoutOidcProviderNotices<T>(run: () => T | Promise<T>): Promise<T> {
  const { warn, info } = console;
  const fromOidcProvider = (args: unknown[]) => typeof args[0] === "string" && args[0].startsWith("oidc-provider ");
  console.warn = (...args: unknown[]) => (fromOidcProvider(args) ? undefined : warn(...args));
  console.info = (...args: unknown[]) => (fromOidcProvider(args) ? undefined : info(...args));
  try {
    return await run();
  } finally {
    console.warn = warn;
    console.info = info;
  }
}

function loadOidcProvider(): Promise<OidcProviderConstructor> {
  providerModule ??= withoutOidcProviderNotices(async () => {
    // @ts-expect-error -- no type declarations exist for oidc-provider; OidcProvider above describes what is used.
    const { Provider } = (await import("oidc-provider")) as { Provider: OidcProviderConstructor };
    return Provider;
  });
  return providerModule;
}

function subjectOf(user: OidcTestUser): string {
  return user.subject ?? `user-${createHash("sha256").update(user.email).digest("hex").slice(0, 16)}`;
}

/** The cookie header without oidc-provider's session cookie (and its signature): see the top. */
function withoutSessionCookie(cookieHeader: string | undefined): string | undefined {
  if (cookieHeader === undefined) return undefined;
  const kept = cookieHeader
    .split(";")
    .map((pair) => pair.trim())
    .filter((pair) => {
      const name = pair.split("=", 1)[0]!;
      return name !== "_session" && !name.startsWith("_session.");
    });
  return kept.length > 0 ? kept.join("; ") : undefined;
}

function isTestUser(value: unknown): value is OidcTestUser {
  if (typeof value !== "object" || value === null) return false;
  const { email, name, emailVerified, subject } = value as Record<string, unknown>;
  return (
    typeof email === "string" &&
    (name === undefined || typeof name === "string") &&
    (emailVerified === undefined || typeof emailVerified === "boolean") &&
    (subject === undefined || typeof subject === "string")
  );
}

/** Reads a control request's JSON body and answers 204 when `apply` took it, 400 when not. */
async function answerControlRequest(request: IncomingMessage, response: ServerResponse, apply: (body: unknown) => boolean) {
  let text = "";
  for await (const chunk of request) {
    text += String(chunk);
    if (text.length > MAX_CONTROL_BODY_BYTES) break;
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (apply(body)) {
    response.writeHead(204).end();
    return;
  }
  response.writeHead(400, { "Content-Type": "text/plain" }).end("unknown control request, or a body it does not take");
}

export async function startOidcProvider(options: OidcProviderOptions): Promise<OidcTestProvider> {
  const clientId = options.clientId ?? "test-client";
  const clientSecret = options.clientSecret ?? randomBytes(32).toString("base64url");
  let nextUser: OidcTestUser = DEFAULT_OIDC_USER;
  let refusing = false;
  let wrongNonces = false;
  // Filled at sign-in and read at the token and userinfo endpoints, so the tokens describe the user
  // who signed in even if the test has named another one since.
  const signedInUsers = new Map<string, OidcTestUser>();

  // Listening comes first, since the issuer names the port; a request that arrives while the
  // provider is still being made (a readiness probe of another process) is told to come back.
  const ready: { handle?: (request: IncomingMessage, response: ServerResponse) => void } = {};
  const server = http.createServer((request, response) => {
    if (ready.handle) ready.handle(request, response);
    else response.writeHead(503, { "Content-Type": "text/plain", "Retry-After": "1" }).end("starting");
  });
  server.listen(options.port ?? 0, "127.0.0.1");
  await once(server, "listening");
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let provider: OidcProvider;
  try {
    const Provider = await loadOidcProvider();
    // Generated here so that no key, however unimportant, is committed. RS256 is what a client
    // expects when it registers no signing algorithm.
    const signingKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "jwk" });
    provider = await withoutOidcProviderNotices(
      () =>
        new Provider(issuer, {
          clients: [
            {
              client_id: clientId,
              client_secret: clientSecret,
              // A web client with http loopback URIs is accepted as is: oidc-provider insists on https
              // only for the implicit flow, which this client does not use.
              redirect_uris: options.redirectUris,
              grant_types: ["authorization_code"],
              response_types: ["code"],
              // oidc-provider takes client_secret_post as well for a client registered this way.
              token_endpoint_auth_method: "client_secret_basic",
            },
          ],
          // Off by default for confidential clients; required here so a sign-in that forgot PKCE fails.
          pkce: { required: () => true },
          responseTypes: ["code"],
          scopes: ["openid", "email", "profile"],
          claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
          // By default the scope's claims go to userinfo only, unless the ID token is the sole
          // response; here they are in the ID token too, as most providers do.
          conformIdTokenClaims: false,
          async findAccount(_context: unknown, accountId: string) {
            const user = signedInUsers.get(accountId);
            if (!user) return undefined;
            return {
              accountId,
              claims: async () => ({
                sub: accountId,
                email: user.email,
                email_verified: user.emailVerified ?? true,
                ...(user.name === undefined ? {} : { name: user.name }),
              }),
            };
          },
          interactions: { url: (_context: unknown, interaction: { uid: string }) => `${INTERACTION_PATH}${interaction.uid}` },
          features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: false } },
          jwks: { keys: [{ ...signingKey, use: "sig", alg: "RS256" }] },
          cookies: { keys: [randomBytes(32).toString("base64url")] },
          // Given as numbers: oidc-provider's default functions each print a notice when first used.
          ttl: { AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, Interaction: 600, Session: 3600, Grant: 3600 },
          // No page calls the provider from a browser: the app's server does. (The default prints a notice.)
          clientBasedCORS: () => false,
          // Plain text, where the default is an HTML page: a test failing here prints the reason.
          renderError(context: { type: string; body: string }, out: Record<string, string>) {
            context.type = "text/plain";
            context.body = Object.entries(out)
              .map(([key, value]) => `${key}: ${value}`)
              .join("\n");
          },
        }),
    );
  } catch (error) {
    server.close();
    throw error;
  }

  async function completeInteraction(request: IncomingMessage, response: ServerResponse) {
    const finish = (result: InteractionResult) =>
      provider.interactionFinished(request, response, result, { mergeWithLastSubmission: false });
    const interaction = await provider.interactionDetails(request, response);
    if (refusing) {
      await finish({ error: "access_denied", error_description: "The user refused the sign-in" });
      return;
    }
    const user = nextUser;
    const accountId = subjectOf(user);
    signedInUsers.set(accountId, user);
    const grant = new provider.Grant({ accountId, clientId: String(interaction.params.client_id) });
    grant.addOIDCScope(String(interaction.params.scope ?? "openid"));
    const grantId = await grant.save();
    await finish({ login: { accountId }, consent: { grantId } });
  }

  const control = (action: string, body: unknown): boolean => {
    if (action === "next-user" && isTestUser(body)) {
      nextUser = body;
      return true;
    }
    if (action === "refuse-sign-ins" && typeof (body as { refuse?: unknown } | null)?.refuse === "boolean") {
      refusing = (body as { refuse: boolean }).refuse;
      return true;
    }
    return false;
  };

  const handleProviderRequest = provider.callback();
  ready.handle = (request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? "/", issuer).pathname;
    if (options.control && path.startsWith(CONTROL_PATH) && request.method === "POST") {
      void answerControlRequest(request, response, (body) => control(path.slice(CONTROL_PATH.length), body));
      return;
    }
    if (path.startsWith(INTERACTION_PATH)) {
      completeInteraction(request, response).catch((error: unknown) => {
        // A missing or expired interaction cookie lands here: say so to whoever follows the redirect.
        if (!response.headersSent) response.writeHead(400, { "Content-Type": "text/plain" });
        response.end(`interaction failed: ${error instanceof Error ? error.message : String(error)}`);
      });
      return;
    }
    if (path === AUTHORIZATION_PATH && wrongNonces) {
      // The authorization request as oidc-provider reads it: the nonce it puts in the ID token.
      const url = new URL(request.url ?? "/", issuer);
      if (url.searchParams.has("nonce")) url.searchParams.set("nonce", `wrong-${randomBytes(16).toString("base64url")}`);
      request.url = `${url.pathname}${url.search}`;
    }
    if (path === AUTHORIZATION_PATH || path.startsWith(`${AUTHORIZATION_PATH}/`)) {
      const cookie = withoutSessionCookie(request.headers.cookie);
      if (cookie === undefined) delete request.headers.cookie;
      else request.headers.cookie = cookie;
    }
    void handleProviderRequest(request, response);
  };

  let stopped: Promise<void> | undefined;
  return {
    issuer,
    clientId,
    clientSecret,
    setNextUser(user) {
      nextUser = user;
    },
    refuseSignIns(refuse) {
      refusing = refuse;
    },
    sendWrongNonces(wrong) {
      wrongNonces = wrong;
    },
    stop() {
      stopped ??= (async () => {
        const closed = once(server, "close");
        server.close();
        server.closeAllConnections();
        await closed;
      })();
      return stopped;
    },
  };
}
