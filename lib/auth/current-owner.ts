import "server-only";

/**
 * Until accounts exist (the sign-in issue), every conversation belongs to this one owner. Every
 * query of the history names an owner, so accounts slot in by changing what this returns.
 */
export const LOCAL_OWNER_ID = "local";

/** Whose request this is. The request is not read yet: sign-in (the next issue) reads it. */
export function currentOwner(request: Request): string {
  void request;
  return LOCAL_OWNER_ID;
}
