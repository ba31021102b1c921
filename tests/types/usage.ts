// Compiles only if the declarations in pkg/ describe the API as documented.
import init, { Session, oauth2, cookieSession, type SecurityFinding, type SessionError, type SessionEvent, type SessionOptions, type TokenResponse } from "wasm-session";

export async function usage(login: TokenResponse): Promise<void> {
  await init();
  const options: SessionOptions = {
    idleTimeoutMs: 15 * 60_000,
    warnBeforeMs: 60_000,
    absoluteTimeoutMs: 8 * 3_600_000,
    storage: "memory",
    refresh: async ({ refreshToken }) => ({ access_token: "a", refresh_token: refreshToken ?? undefined, expires_in: 60 }),
  };
  const session = new Session(options);
  const off: () => void = session.on("warning", (e) => {
    const remaining: number = e.remainingMs;
    const cause: "idle" | "absolute" = e.cause;
    void remaining, cause;
  });
  session.on("countdown", (e) => void (e.remainingMs satisfies number));
  session.on("loggedOut", (e) => {
    const origin: "local" | "otherTab" | "server" = e.origin;
    void origin, e.reason;
  });
  session.onAny((e: SessionEvent) => {
    if (e.type === "refreshFailed") void (e.definitive satisfies boolean);
  });
  session.start(login);
  // Remember me (issue 14): a login-answer field, and its own lifetimes.
  session.start({ ...login, rememberMe: true });
  const remembered: SessionOptions = { rememberMeAbsoluteMs: 7 * 24 * 3_600_000, rememberMeIdleTimeoutMs: 3_600_000 };
  void remembered;
  void session.securityReport().some((f) => f.id === "remember_me");
  const response: Response = await session.fetch("/api/orders", { method: "GET" });
  void response.status;
  session.staySignedIn();
  session.touch();
  const state: "anonymous" | "active" | "warning" | "expired" | "loggedOut" | "destroyed" = session.state;
  const left: number | undefined = session.remainingMs();
  void state, left, session.tabId, session.idleDeadline, session.absoluteDeadline;
  for (const finding of session.securityReport()) {
    const severity: "high" | "medium" | "low" = finding.severity;
    void severity, finding.id, finding.message, finding.advice;
  }
  // @ts-expect-error not a finding id
  session.securityReport().some((f) => f.id === "no_https");
  session.logout();
  session.destroy();
  off();
  const destroyed: SessionError["code"] = "destroyed";
  void destroyed;

  const viaOauth = new Session({ ...oauth2({ tokenUrl: "/oauth/token", clientId: "app" }), idleTimeoutMs: 600_000 });
  const findings: SecurityFinding[] = new Session({ storage: "local", sessionCookie: "sid" }).securityReport();
  void findings;
  const viaCookie = new Session({
    ...cookieSession({ keepaliveUrl: "/k", sessionUrl: "/s", logoutUrl: "/l" }),
    csrf: { header: "X-CSRF-Token", cookie: "csrf" },
    endpoints: { session: { url: "/s", method: "GET" } },
    revokedStatuses: [401, 419],
  });
  void viaOauth, viaCookie;
  // @ts-expect-error clientId is required
  oauth2({ tokenUrl: "/t" });

  // @ts-expect-error a warning carries no `reason`
  session.on("warning", (e) => e.reason);
  // @ts-expect-error not an event type
  session.on("warnings", () => {});
  // @ts-expect-error storage is one of three choices
  new Session({ storage: "cookie" });
  // @ts-expect-error a typo in an option name
  new Session({ idleTimeout: 5 });

  // Re-constituted sessions and monitoring (issue 14).
  const kept = new Session({ reconstituteForMs: 30 * 60_000, monitor: { url: "/monitor", flushMs: 10_000 } });
  kept.setRestoreState({ route: "/orders/7" });
  kept.on("started", (e) => void (e.restoredState satisfies unknown));
  // @ts-expect-error monitor needs a url
  new Session({ monitor: { flushMs: 5 } });
}
