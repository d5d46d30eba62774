import { createHash, randomBytes } from "node:crypto";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CONTROL_PATH, DEFAULT_OIDC_USER, startOidcProvider, type OidcTestProvider } from "@/tests/helpers/oidc-provider";

/**
 * The whole authorization code flow against the test provider, with plain fetch and redirects
 * followed by hand, as a browser and the app's server would: the sign-in tests trust it to behave
 * like a real provider.
 */

// Never requested: the flow stops at the redirect to it and reads the code from the Location.
const CALLBACK_URL = "http://127.0.0.1:3100/api/auth/callback/oidc";

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  userinfo_endpoint: string;
  jwks_uri: string;
  scopes_supported: string[];
  code_challenge_methods_supported: string[];
  token_endpoint_auth_methods_supported: string[];
  end_session_endpoint?: string;
}

let provider: OidcTestProvider;
let discovery: Discovery;

beforeAll(async () => {
  provider = await startOidcProvider({ redirectUris: [CALLBACK_URL], control: true });
  discovery = (await (await fetch(`${provider.issuer}/.well-known/openid-configuration`)).json()) as Discovery;
});
afterAll(() => provider.stop());
afterEach(() => {
  provider.setNextUser(DEFAULT_OIDC_USER);
  provider.refuseSignIns(false);
  provider.sendWrongNonces(false);
});

/** The browser's cookies for the provider: enough of a jar for one host, paths ignored. */
class CookieJar {
  readonly #cookies = new Map<string, string>();

  store(response: Response) {
    for (const setCookie of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = setCookie.split(";");
      const separator = pair.indexOf("=");
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      const expired = attributes.some((attribute) => /^\s*expires=Thu, 01 Jan 1970/i.test(attribute));
      if (expired || value === "") this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
}

interface AuthorizationAttempt {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** Where the provider finally sent the browser: the callback URL with its query. */
  callback: URL;
}

/** Follows the browser's part of a sign-in, from the authorization request to the app's callback. */
async function authorize(
  jar = new CookieJar(),
  { pkce = true, scope = "openid email profile" } = {},
): Promise<AuthorizationAttempt> {
  const state = randomBytes(16).toString("base64url");
  const nonce = randomBytes(16).toString("base64url");
  const codeVerifier = randomBytes(32).toString("base64url");
  const url = new URL(discovery.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: provider.clientId,
    response_type: "code",
    redirect_uri: CALLBACK_URL,
    scope,
    state,
    nonce,
    ...(pkce
      ? { code_challenge: createHash("sha256").update(codeVerifier).digest("base64url"), code_challenge_method: "S256" }
      : {}),
  }).toString();

  let next = url;
  for (let hop = 0; hop < 10; hop++) {
    const response = await fetch(next, { redirect: "manual", headers: { cookie: jar.header() } });
    jar.store(response);
    const location = response.headers.get("location");
    if (response.status < 300 || response.status >= 400 || location === null) {
      throw new Error(`sign-in stopped at ${next} with ${response.status}: ${await response.text()}`);
    }
    next = new URL(location, next);
    if (next.href.startsWith(`${CALLBACK_URL}?`)) return { state, nonce, codeVerifier, callback: next };
  }
  throw new Error("sign-in never reached the callback URL");
}

interface TokenResponse {
  access_token: string;
  id_token: string;
  token_type: string;
}

function exchangeCode(
  { callback, codeVerifier }: AuthorizationAttempt,
  clientAuthentication: "client_secret_basic" | "client_secret_post" = "client_secret_basic",
) {
  const body = new URLSearchParams({
    grant_type: "authorization_code",
    code: callback.searchParams.get("code") ?? "",
    redirect_uri: CALLBACK_URL,
    code_verifier: codeVerifier,
  });
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  if (clientAuthentication === "client_secret_basic") {
    const credentials = `${encodeURIComponent(provider.clientId)}:${encodeURIComponent(provider.clientSecret)}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString("base64")}`;
  } else {
    body.set("client_id", provider.clientId);
    body.set("client_secret", provider.clientSecret);
  }
  return fetch(discovery.token_endpoint, { method: "POST", headers, body });
}

async function verifiedIdToken(idToken: string) {
  const { payload } = await jwtVerify(idToken, createRemoteJWKSet(new URL(discovery.jwks_uri)), {
    issuer: provider.issuer,
    audience: provider.clientId,
  });
  return payload;
}

describe("OIDC test provider", () => {
  it("publishes a discovery document for an http loopback issuer", () => {
    expect(provider.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(discovery.issuer).toBe(provider.issuer);
    expect(discovery.authorization_endpoint.startsWith(`${provider.issuer}/`)).toBe(true);
    expect(discovery.scopes_supported).toEqual(expect.arrayContaining(["openid", "email", "profile"]));
    expect(discovery.code_challenge_methods_supported).toContain("S256");
    expect(discovery.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(["client_secret_basic", "client_secret_post"]),
    );
    expect(discovery.end_session_endpoint).toBeUndefined();
  });

  it("signs in the chosen user through the authorization code flow with PKCE", async () => {
    provider.setNextUser({ email: "ada@example.test", name: "Ada Lovelace", emailVerified: true });
    const attempt = await authorize();
    expect(attempt.callback.searchParams.get("state")).toBe(attempt.state);
    expect(attempt.callback.searchParams.get("iss")).toBe(provider.issuer);
    expect(attempt.callback.searchParams.get("code")).toBeTruthy();

    const tokenResponse = await exchangeCode(attempt);
    expect(tokenResponse.status).toBe(200);
    const tokens = (await tokenResponse.json()) as TokenResponse;
    expect(tokens.token_type).toBe("Bearer");

    const claims = await verifiedIdToken(tokens.id_token);
    expect(claims).toMatchObject({ email: "ada@example.test", email_verified: true, name: "Ada Lovelace", nonce: attempt.nonce });
    expect(claims.sub).toEqual(expect.any(String));

    const userinfo = await fetch(discovery.userinfo_endpoint, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(await userinfo.json()).toEqual({
      sub: claims.sub,
      email: "ada@example.test",
      email_verified: true,
      name: "Ada Lovelace",
    });
  });

  it("signs in whoever is chosen next, even in a browser that signed in before", async () => {
    const jar = new CookieJar();
    provider.setNextUser({ email: "first@example.test" });
    const first = await verifiedIdToken(((await (await exchangeCode(await authorize(jar))).json()) as TokenResponse).id_token);
    provider.setNextUser({ email: "second@example.test", emailVerified: false });
    const second = await verifiedIdToken(((await (await exchangeCode(await authorize(jar))).json()) as TokenResponse).id_token);

    expect(first.email).toBe("first@example.test");
    expect(second).toMatchObject({ email: "second@example.test", email_verified: false });
    expect(second).not.toHaveProperty("name");
    expect(second.sub).not.toBe(first.sub);
  });

  it("gives one email the same subject every time, unless the test names another", async () => {
    const subjectOfNextSignIn = async () =>
      (await verifiedIdToken(((await (await exchangeCode(await authorize())).json()) as TokenResponse).id_token)).sub;
    provider.setNextUser({ email: "same@example.test" });
    const first = await subjectOfNextSignIn();
    expect(await subjectOfNextSignIn()).toBe(first);
    provider.setNextUser({ email: "same@example.test", subject: "another-account" });
    expect(await subjectOfNextSignIn()).toBe("another-account");
  });

  it("accepts the client secret in the request body as well", async () => {
    const tokenResponse = await exchangeCode(await authorize(), "client_secret_post");
    expect(tokenResponse.status).toBe(200);
    const claims = await verifiedIdToken(((await tokenResponse.json()) as TokenResponse).id_token);
    expect(claims.email).toBe(DEFAULT_OIDC_USER.email);
  });

  it("rejects a code exchanged with the wrong PKCE verifier, or with the wrong client secret", async () => {
    const attempt = await authorize();
    const wrongVerifier = await exchangeCode({ ...attempt, codeVerifier: randomBytes(32).toString("base64url") });
    expect(wrongVerifier.status).toBe(400);
    expect(await wrongVerifier.json()).toMatchObject({ error: "invalid_grant" });

    const wrongSecret = await fetch(discovery.token_endpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code: (await authorize()).callback.searchParams.get("code") ?? "",
        redirect_uri: CALLBACK_URL,
        client_id: provider.clientId,
        client_secret: "not-the-secret",
      }),
    });
    expect(wrongSecret.status).toBe(401);
  });

  it("refuses an authorization request without PKCE", async () => {
    const { callback, state } = await authorize(new CookieJar(), { pkce: false });
    expect(callback.searchParams.get("error")).toBe("invalid_request");
    expect(callback.searchParams.get("state")).toBe(state);
    expect(callback.searchParams.has("code")).toBe(false);
  });

  it("signs ID tokens with another nonce than the request's while told to", async () => {
    provider.sendWrongNonces(true);
    const attempt = await authorize();
    const claims = await verifiedIdToken(((await (await exchangeCode(attempt)).json()) as TokenResponse).id_token);
    expect(claims.nonce).toEqual(expect.any(String));
    expect(claims.nonce).not.toBe(attempt.nonce);
    expect(claims.email).toBe(DEFAULT_OIDC_USER.email);
  });

  it("sends the browser back with access_denied while sign-ins are refused", async () => {
    provider.refuseSignIns(true);
    const { callback, state } = await authorize();
    expect(callback.searchParams.get("error")).toBe("access_denied");
    expect(callback.searchParams.get("state")).toBe(state);
    expect(callback.searchParams.has("code")).toBe(false);
  });

  it("shows an error instead of redirecting to an unregistered callback URL", async () => {
    const url = new URL(discovery.authorization_endpoint);
    url.search = new URLSearchParams({
      client_id: provider.clientId,
      response_type: "code",
      redirect_uri: "http://127.0.0.1:3100/somewhere/else",
      scope: "openid",
      code_challenge: createHash("sha256").update("verifier").digest("base64url"),
      code_challenge_method: "S256",
    }).toString();
    const response = await fetch(url, { redirect: "manual" });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("redirect_uri did not match");
  });
});

describe("controlling the OIDC test provider from another process", () => {
  const post = (issuer: string, action: string, body: unknown) =>
    fetch(`${issuer}${CONTROL_PATH}${action}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const emailOfNextSignIn = async () =>
    (await verifiedIdToken(((await (await exchangeCode(await authorize())).json()) as TokenResponse).id_token)).email;

  it("takes the next user and refusals over HTTP when started with control", async () => {
    expect((await post(provider.issuer, "next-user", { email: "remote@example.test", name: "Remote" })).status).toBe(204);
    expect(await emailOfNextSignIn()).toBe("remote@example.test");

    expect((await post(provider.issuer, "refuse-sign-ins", { refuse: true })).status).toBe(204);
    expect((await authorize()).callback.searchParams.get("error")).toBe("access_denied");
    expect((await post(provider.issuer, "refuse-sign-ins", { refuse: false })).status).toBe(204);
    expect(await emailOfNextSignIn()).toBe("remote@example.test");
  });

  it("answers 400 to a body it does not take, and keeps the user it had", async () => {
    provider.setNextUser({ email: "kept@example.test" });
    expect((await post(provider.issuer, "next-user", { name: "no email" })).status).toBe(400);
    expect((await post(provider.issuer, "refuse-sign-ins", { refuse: "yes" })).status).toBe(400);
    expect((await post(provider.issuer, "no-such-action", {})).status).toBe(400);
    expect(await emailOfNextSignIn()).toBe("kept@example.test");
  });

  it("takes no orders unless started with control", async () => {
    const uncontrolled = await startOidcProvider({ redirectUris: [CALLBACK_URL] });
    try {
      const response = await post(uncontrolled.issuer, "next-user", { email: "intruder@example.test" });
      expect(response.status).toBe(404);
    } finally {
      await uncontrolled.stop();
    }
  });
});

describe("stopping the OIDC test provider", () => {
  it("closes its port, open connections included", async () => {
    const stopping = await startOidcProvider({ redirectUris: [CALLBACK_URL], clientId: "app", clientSecret: "s3cret" });
    expect([stopping.clientId, stopping.clientSecret]).toEqual(["app", "s3cret"]);
    // A kept-alive connection would hold the server open if stop() only stopped listening.
    expect((await fetch(`${stopping.issuer}/.well-known/openid-configuration`)).status).toBe(200);
    await stopping.stop();
    await expect(fetch(`${stopping.issuer}/.well-known/openid-configuration`)).rejects.toThrow();
  });
});
