import "server-only";
import { randomBytes } from "node:crypto";
import { getAuthRuntime, hashToken, LOCAL_OWNER_ID, requireAdmin, type AuthRuntime, type Identity } from "@/lib/auth/identity";
import { getConfig } from "@/lib/config";
import { answerJson } from "@/lib/ops/json-route";
import type { MemberUsage, ShareSummary } from "@/lib/store/account-store";
import {
  ADMIN_ID_PATTERN,
  INVITATION_VALID_DAYS,
  memberUpdateSchema,
  USAGE_WINDOW_DAYS,
  type AdminOverview,
  type AdminShare,
  type AdminShareList,
  type AdminUsage,
  type Invitation,
  type Member,
  type MemberList,
} from "@/lib/shared/admin-contract";
import { AppError } from "@/lib/shared/errors";
import { type SmallBodyLimits, readSmallJson, requestOrigin } from "@/lib/upload/small-body";

/**
 * /api/admin/*: the members with their usage, usage per provider, every live share link, and
 * invitations. Each route file hands its request here; every one is an admin's alone (403 for a
 * member, 401 when signed out), and the ones that change something refuse other sites' pages.
 */
export interface AdminApiDependencies {
  /** Who is asking, and the accounts' queries (lib/auth/identity.ts). */
  auth: () => Promise<AuthRuntime>;
  /** The clock the usage window and invitations' expiry are read from. */
  now?: () => Date;
}

/** The process's own dependencies for the admin routes, resolved per request (not at build). */
export function adminRouteDependencies(): AdminApiDependencies {
  const config = getConfig();
  return { auth: () => getAuthRuntime(config) };
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** A member update's body is one flag: anything bigger is not one. */
const MEMBER_UPDATE_BODY: SmallBodyLimits = {
  maxBytes: 1_024,
  tooLarge: "The body is too large for a member update.",
  malformed: 'Send the update as JSON: {"disabled": true}.',
};
const noStore = { "Cache-Control": "no-store" };

interface AdminContext {
  runtime: AuthRuntime;
  admin: Identity;
  now: Date;
}

type Handler = (context: AdminContext) => Promise<Response>;

/** Runs a handler for an admin, turning every failure into the API's JSON error. */
function respond(request: Request, dependencies: AdminApiDependencies, handler: Handler, { changes = false } = {}): Promise<Response> {
  const unavailable = "The server's database cannot be reached right now. Try again in a moment.";
  return answerJson(request, { changes, unavailable }, async () => {
    const runtime = await dependencies.auth();
    const admin = await requireAdmin(request, runtime);
    return handler({ runtime, admin, now: dependencies.now?.() ?? new Date() });
  });
}

function windowStart(now: Date): Date {
  return new Date(now.getTime() - USAGE_WINDOW_DAYS * DAY_MS);
}

function memberNotFound(): AppError {
  return new AppError("not_found", "There is no member with this id.");
}

function shareNotFound(): AppError {
  return new AppError("not_found", "There is no live share link with this id: it may have been revoked already.");
}

export function listMembers(request: Request, dependencies: AdminApiDependencies): Promise<Response> {
  return respond(request, dependencies, async ({ runtime, now }) => {
    const since = windowStart(now);
    const body: MemberList = { since: since.toISOString(), members: await membersOf(runtime, since) };
    return Response.json(body, { headers: noStore });
  });
}

/** Disables a member (their sessions end at once; tokens stop with their next request) or enables them again. */
export function updateMember(request: Request, id: string, dependencies: AdminApiDependencies): Promise<Response> {
  return respond(
    request,
    dependencies,
    async ({ runtime, admin, now }) => {
      const parsed = memberUpdateSchema.safeParse(await readSmallJson(request, MEMBER_UPDATE_BODY));
      if (!parsed.success) throw new AppError("invalid_request", "Send {\"disabled\": true} or {\"disabled\": false}.");
      if (!ADMIN_ID_PATTERN.test(id)) throw memberNotFound();
      if (parsed.data.disabled && id === admin.userId) {
        throw new AppError("invalid_request", "You cannot disable your own account: ask another admin.");
      }
      if (!(await runtime.accounts.setDisabled(id, parsed.data.disabled))) throw memberNotFound();
      const member = (await runtime.accounts.members(windowStart(now))).find((each) => each.id === id);
      if (!member) throw memberNotFound();
      return Response.json({ member: toMember(member) }, { headers: noStore });
    },
    { changes: true },
  );
}

export function providerUsage(request: Request, dependencies: AdminApiDependencies): Promise<Response> {
  return respond(request, dependencies, async ({ runtime, now }) => {
    const since = windowStart(now);
    const body: AdminUsage = { since: since.toISOString(), byProvider: await runtime.accounts.usageByProvider(since) };
    return Response.json(body, { headers: noStore });
  });
}

export function listShares(request: Request, dependencies: AdminApiDependencies): Promise<Response> {
  return respond(request, dependencies, async ({ runtime }) => {
    const body: AdminShareList = { shares: (await runtime.accounts.activeShares()).map(toShare) };
    return Response.json(body, { headers: noStore });
  });
}

/** Revokes anyone's share link: its page and image answer 404 from the next request on. */
export function revokeShare(request: Request, id: string, dependencies: AdminApiDependencies): Promise<Response> {
  return respond(
    request,
    dependencies,
    async ({ runtime }) => {
      if (!ADMIN_ID_PATTERN.test(id) || !(await runtime.accounts.revokeShare(id))) throw shareNotFound();
      return new Response(null, { status: 204, headers: noStore });
    },
    { changes: true },
  );
}

/**
 * A new invitation link (AUTH_MODE=password): its token exists only in the answer, the database
 * keeps its hash. Elsewhere the identity provider or the proxy decides who joins: 404.
 */
export function createInvitation(request: Request, dependencies: AdminApiDependencies): Promise<Response> {
  return respond(
    request,
    dependencies,
    async ({ runtime, admin, now }) => {
      if (runtime.settings.mode !== "password") {
        throw new AppError("not_found", "Invitations are for AUTH_MODE=password: here, the identity provider or the proxy decides who may sign in.");
      }
      const token = randomBytes(32).toString("base64url");
      const expiresAt = new Date(now.getTime() + INVITATION_VALID_DAYS * DAY_MS);
      await runtime.accounts.createInvitation(admin.userId, hashToken(token), expiresAt);
      const base = (runtime.settings.publicUrl ?? requestOrigin(request)).replace(/\/+$/, "");
      const body: Invitation = { url: `${base}/invite/${token}`, expiresAt: expiresAt.toISOString() };
      return Response.json(body, { status: 201, headers: noStore });
    },
    { changes: true },
  );
}

/** What the admin page shows when it opens: the same reads as the routes, for one admin. */
export async function adminOverview(runtime: AuthRuntime, admin: Identity, now = new Date()): Promise<AdminOverview> {
  const since = windowStart(now);
  const [members, byProvider, shares] = await Promise.all([membersOf(runtime, since), runtime.accounts.usageByProvider(since), runtime.accounts.activeShares()]);
  return {
    since: since.toISOString(),
    members,
    byProvider,
    shares: shares.map(toShare),
    selfId: admin.userId,
    canInvite: runtime.settings.mode === "password",
  };
}

/**
 * The accounts with their usage; with AUTH_MODE=none, the one local owner first, who has no
 * account row but does use the server.
 */
async function membersOf(runtime: AuthRuntime, since: Date): Promise<Member[]> {
  const members = (await runtime.accounts.members(since)).map(toMember);
  if (runtime.settings.mode !== "none") return members;
  const [usage, lastUsedAt] = await Promise.all([runtime.accounts.usageOf(LOCAL_OWNER_ID, since), runtime.accounts.lastUseOf(LOCAL_OWNER_ID)]);
  const sum = (pick: (row: (typeof usage)[number]) => number) => usage.reduce((total, row) => total + pick(row), 0);
  const localOwner: Member = {
    id: LOCAL_OWNER_ID,
    email: null,
    name: "Local owner",
    role: "admin",
    disabled: false,
    createdAt: null,
    lastUsedAt,
    analyses: sum((row) => row.analyses),
    inputTokens: sum((row) => row.inputTokens),
    outputTokens: sum((row) => row.outputTokens),
    totalTokens: sum((row) => row.totalTokens),
  };
  return [localOwner, ...members];
}

function toMember(member: MemberUsage): Member {
  const { id, email, name, role, disabled, createdAt, lastUsedAt, analyses, inputTokens, outputTokens, totalTokens } = member;
  return { id, email, name, role, disabled, createdAt, lastUsedAt, analyses, inputTokens, outputTokens, totalTokens };
}

function toShare(share: ShareSummary): AdminShare {
  return { ...share, visibility: share.visibility === "public" ? "public" : "team" };
}

