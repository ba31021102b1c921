import { useEffect } from "react";
import { createRoot } from "react-dom/client";
import init from "wasm-session";
import { useSession } from "wasm-session/react";

function App() {
  const { session, state, remainingMs, cause } = useSession({ endpoints: { refresh: "/auth/refresh", logout: "/auth/logout" } });
  useEffect(() => void session?.resume(), [session]); // join another tab's session
  if (state === "warning") return <p>{cause === "idle" ? "Signing out" : "Session ends"} in {Math.ceil(remainingMs / 1000)} s</p>;
  return <p id="state">{state}</p>; // session.start(tokens) after login, session.fetch(…), session.logout() …
}

await init(); // before the first render
createRoot(document.getElementById("root")).render(<App />);
