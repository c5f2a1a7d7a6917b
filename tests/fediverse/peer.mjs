// A real ActivityPub peer for Homepost's tests: a Fedify federation on 127.0.0.1 with one actor
// (/users/peer, its own RSA key pair), run by tests/fedify_peer.py with Node 22 from node_modules.
//
// Fedify serves the actor and its inbox and verifies the HTTP Signatures of what arrives there
// itself. A small control API, for the tests only, sits beside it:
//   GET  /_control/received  every POST to an inbox: {type, id, actor, object, verified, status,
//                            keyId, keyOwner, activity}; verified is true only when Fedify's inbox
//                            accepted the request's signature and ran the listener
//   POST /_control/send      {type: Follow|Like|Announce|Create|Undo|Delete, inbox, to, object,
//                            inReplyTo, content}: the peer's actor signs and sends that activity to
//                            the inbox now; answers {ok, id} or {ok: false, error}
//   POST /_control/lookup    {url}: Fedify's lookupObject of that URL (an actor, an object, or an HTML
//                            page linking one as rel=alternate), as a remote server would look it up;
//                            answers {ok, type, id, json (what Fedify parsed, as compact JSON-LD),
//                            publicKeyId, publicKeyOwner, attributedTo} or {ok: false, error}
// On start it prints one JSON line, {"port": N, "actor": URL}; it stops on SIGTERM or when its
// standard input closes (the test process went away).
import http from "node:http";
import { createFederation, generateCryptoKeyPair, MemoryKvStore } from "@fedify/fedify";
import {
  Activity, Announce, Create, Delete, Endpoints, Follow, Like, Note, Person, PUBLIC_COLLECTION, Undo,
} from "@fedify/vocab";

const IDENTIFIER = "peer";
const received = [];
const keys = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
const federation = createFederation({
  kv: new MemoryKvStore(),
  allowPrivateAddress: true, // plain http on 127.0.0.1: tests only
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== IDENTIFIER) return null;
    const [pair] = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Fedify peer",
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      publicKey: pair.cryptographicKey,
      assertionMethods: [pair.multikey],
    });
  })
  .setKeyPairsDispatcher((ctx, identifier) => identifier === IDENTIFIER ? [keys] : []);

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Activity, async (ctx, activity) => {
    // Fedify runs a listener only for a request whose signature it verified
    const json = await activity.toJsonLd({ format: "compact" });
    received.push({
      type: json.type, id: activity.id?.href ?? null, actor: activity.actorId?.href ?? null,
      object: activity.objectId?.href ?? null, verified: true, status: 202, keyId: null, keyOwner: null, activity: json,
    });
  })
  .onError((ctx, error) => process.stderr.write(`inbox listener failed: ${error?.stack ?? error}\n`));

let counter = 0;
const KINDS = { Follow, Like, Announce, Undo, Delete };

async function send(base, order) {
  const ctx = federation.createContext(new URL(base), undefined);
  const actor = ctx.getActorUri(IDENTIFIER);
  const id = new URL(`/activities/${++counter}`, base);
  let activity;
  if (order.type === "Create") {
    const note = new Note({
      id: new URL(`/notes/${counter}`, base), attribution: actor, content: order.content ?? "",
      replyTarget: order.inReplyTo ? new URL(order.inReplyTo) : null, to: PUBLIC_COLLECTION,
    });
    activity = new Create({ id, actor, object: note, to: PUBLIC_COLLECTION });
  } else if (KINDS[order.type]) {
    activity = new KINDS[order.type]({ id, actor, object: new URL(order.object ?? order.to), to: PUBLIC_COLLECTION });
  } else {
    return { ok: false, error: `unknown type ${order.type}` };
  }
  try {
    await ctx.sendActivity({ identifier: IDENTIFIER }, { id: new URL(order.to), inboxId: new URL(order.inbox) },
      activity, { immediate: true });
  } catch (error) {
    return { ok: false, id: id.href, error: String(error) };
  }
  return { ok: true, id: id.href };
}

async function lookup(base, order) {
  const ctx = federation.createContext(new URL(base), undefined);
  let found;
  try {
    found = await ctx.lookupObject(order.url);
  } catch (error) {
    return { ok: false, error: String(error?.stack ?? error) };
  }
  if (found == null) return { ok: false, error: `lookupObject found nothing at ${order.url}` };
  const json = await found.toJsonLd({ format: "compact" });
  const answer = { ok: true, type: json.type ?? null, id: found.id?.href ?? null, json };
  if (typeof found.getPublicKey === "function") {
    const key = await found.getPublicKey();
    Object.assign(answer, { publicKeyId: key?.id?.href ?? null, publicKeyOwner: key?.ownerId?.href ?? null });
  }
  if ("attributionId" in found) answer.attributedTo = found.attributionId?.href ?? null;
  return answer;
}

function json(value, status = 200) {
  return new Response(JSON.stringify(value), { status, headers: { "Content-Type": "application/json" } });
}

async function handle(request, body, base) {
  const url = new URL(request.url);
  if (url.pathname === "/_control/received") return json(received);
  if (url.pathname === "/_control/lookup" && request.method === "POST") {
    return json(await lookup(base, JSON.parse(body.toString("utf8"))));
  }
  if (url.pathname === "/_control/send" && request.method === "POST") {
    return json(await send(base, JSON.parse(body.toString("utf8"))));
  }
  const inbox = request.method === "POST" && (url.pathname === "/inbox" || url.pathname.endsWith("/inbox"));
  if (!inbox) return await federation.fetch(request, { contextData: undefined });
  // which key signed it, as Fedify sees it (the inbox itself does not tell its listeners)
  const signer = federation.createContext(request.clone(), undefined);
  const key = await signer.getSignedKey();
  const owner = key == null ? null : await signer.getSignedKeyOwner();
  const response = await federation.fetch(request, { contextData: undefined });
  let activity = null;
  try { activity = JSON.parse(body.toString("utf8")); } catch { /* not JSON: kept as null */ }
  const heard = received.find((item) => item.id != null && item.id === activity?.id && item.keyId == null);
  if (heard) Object.assign(heard, { keyId: key?.id?.href ?? null, keyOwner: owner?.id?.href ?? null });
  if (response.status >= 300) {
    received.push({
      type: activity?.type ?? null, id: activity?.id ?? null, actor: activity?.actor ?? null,
      object: typeof activity?.object === "string" ? activity.object : activity?.object?.id ?? null,
      verified: false, status: response.status, keyId: null, keyOwner: null, activity,
    });
  }
  return response;
}

const server = http.createServer(async (req, res) => {
  try {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    const base = `http://${req.headers.host}`;
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      headers.set(name, Array.isArray(value) ? value.join(", ") : value);
    }
    const hasBody = req.method !== "GET" && req.method !== "HEAD";
    const request = new Request(new URL(req.url, base), { method: req.method, headers, body: hasBody ? body : undefined });
    const response = await handle(request, body, base);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  } catch (error) {
    res.writeHead(500, { "Content-Type": "text/plain" });
    res.end(String(error?.stack ?? error));
  }
});

server.listen(Number(process.env.PEER_PORT ?? 0), "127.0.0.1", () => {
  const { port } = server.address();
  process.stdout.write(JSON.stringify({ port, actor: `http://127.0.0.1:${port}/users/${IDENTIFIER}` }) + "\n");
});
const stop = () => {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref(); // connections kept alive do not hold it up
};
process.on("SIGTERM", stop);
process.stdin.on("end", stop);
process.stdin.resume();
