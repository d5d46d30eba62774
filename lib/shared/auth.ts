/**
 * Who may use the server (AUTH_MODE), as the page and the server both name it.
 * - none: one local owner, for a person's own machine (the default).
 * - oidc: single sign-on with the team's identity provider.
 * - proxy: a reverse proxy in front signs people in and passes their e-mail in a header.
 * - password: e-mail and password accounts; the first is the admin, later ones need an invitation.
 */
export const AUTH_MODES = ["none", "oidc", "proxy", "password"] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

export const ROLES = ["admin", "member"] as const;
export type Role = (typeof ROLES)[number];

/** The signed-in person, as the page shows them. */
export interface Viewer {
  mode: AuthMode;
  /** Null for the local owner (AUTH_MODE=none). */
  email: string | null;
  name: string | null;
  role: Role;
  /** Whether the page may offer public share links (SHARE_PUBLIC). */
  sharePublic: boolean;
  /** Whether the page may offer signing out (a session of this app's own, not the proxy's or the local owner). */
  canSignOut: boolean;
}
