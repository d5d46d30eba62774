import { AccountSection } from "@/components/account/account-section";
import { roleName, signInModeName } from "@/components/account/account-format";
import type { Viewer } from "@/lib/shared/auth";

/** Who the page is for: the e-mail, name, role and how they signed in. */
export function IdentitySummary({ viewer }: { viewer: Viewer }) {
  const facts: [string, string][] = [
    // The local owner (AUTH_MODE=none) has no e-mail: named as the page's header names them.
    [viewer.email ? "E-mail" : "Account", viewer.email ?? "Local owner"],
    ...(viewer.name ? [["Name", viewer.name] as [string, string]] : []),
    ["Role", roleName(viewer.role)],
    ["Sign-in", signInModeName(viewer.mode)],
  ];
  return (
    <AccountSection id="account-identity" title="Who you are">
      <dl className="grid grid-cols-1 gap-x-6 gap-y-1 text-sm sm:grid-cols-[max-content_1fr] sm:gap-y-2">
        {facts.map(([term, value]) => (
          <div key={term} className="contents">
            <dt className="text-muted-foreground">{term}</dt>
            <dd className="mb-2 break-words font-medium sm:mb-0">{value}</dd>
          </div>
        ))}
      </dl>
    </AccountSection>
  );
}
