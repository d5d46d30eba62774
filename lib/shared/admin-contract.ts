import { z } from "@/lib/shared/zod";
import { ROLES } from "@/lib/shared/auth";
import { SHARE_VISIBILITIES } from "@/lib/shared/history-contract";

/**
 * The admin's view of the server, as the page and the server both see it: /api/admin/* answer
 * with these shapes, and the page checks what it reads against them.
 */

/** The admin page and its routes look back this many days. */
export const USAGE_WINDOW_DAYS = 30;
/** An invitation link works this long, and once. */
export const INVITATION_VALID_DAYS = 7;

/** Member and share ids in a route's path: random, URL-safe (UUIDs and better-auth's ids). */
export const ADMIN_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

const usageTotalsSchema = z.object({
  analyses: z.number(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  totalTokens: z.number(),
});

export const providerUsageSchema = usageTotalsSchema.extend({ provider: z.string() });

export const memberSchema = usageTotalsSchema.extend({
  id: z.string(),
  /** Null for the local owner of AUTH_MODE=none, who has no account. */
  email: z.string().nullable(),
  name: z.string(),
  role: z.enum(ROLES),
  disabled: z.boolean(),
  /** ISO 8601; null for the local owner. */
  createdAt: z.string().nullable(),
  /** The last analysis ever (not only in the window); null when there was none. */
  lastUsedAt: z.string().nullable(),
});

export const memberListSchema = z.object({
  /** ISO 8601: the start of the window the usage covers. */
  since: z.string(),
  members: z.array(memberSchema),
});

export const memberUpdateSchema = z.strictObject({
  disabled: z.boolean({ error: "Send {\"disabled\": true} or {\"disabled\": false}." }),
});

export const memberUpdateResultSchema = z.object({ member: memberSchema });

export const adminUsageSchema = z.object({
  since: z.string(),
  byProvider: z.array(providerUsageSchema),
});

export const adminShareSchema = z.object({
  id: z.string(),
  conversationId: z.string(),
  title: z.string(),
  ownerId: z.string(),
  /** Null for the local owner's conversations and for an owner whose account is gone. */
  ownerEmail: z.string().nullable(),
  visibility: z.enum(SHARE_VISIBILITIES),
  createdAt: z.string(),
});

export const adminShareListSchema = z.object({ shares: z.array(adminShareSchema) });

export const invitationSchema = z.object({
  /** The whole link to give the person invited: it is shown this once and never stored. */
  url: z.string(),
  expiresAt: z.string(),
});

export type ProviderUsage = z.infer<typeof providerUsageSchema>;
export type Member = z.infer<typeof memberSchema>;
export type MemberList = z.infer<typeof memberListSchema>;
export type MemberUpdate = z.infer<typeof memberUpdateSchema>;
export type AdminUsage = z.infer<typeof adminUsageSchema>;
export type AdminShare = z.infer<typeof adminShareSchema>;
export type AdminShareList = z.infer<typeof adminShareListSchema>;
export type Invitation = z.infer<typeof invitationSchema>;

/** Everything the admin page shows when it opens, read on the server in one go. */
export interface AdminOverview {
  since: string;
  members: Member[];
  byProvider: ProviderUsage[];
  shares: AdminShare[];
  /** The admin looking: they cannot disable themself. */
  selfId: string;
  /** Whether invitations exist here (AUTH_MODE=password). */
  canInvite: boolean;
}
