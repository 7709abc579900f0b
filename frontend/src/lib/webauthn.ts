// Passkeys in the browser: the server's WebAuthn options (base64url
// fields) turned into the buffers navigator.credentials wants, and its
// answer back into the JSON the server reads (PublicKeyCredential.toJSON,
// written out: WebKitGTK and older browsers lack it).
import { ApiError, request } from './api';

type Options = { publicKey: Record<string, any> };

const dec = (s: string): Uint8Array<ArrayBuffer> => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
const enc = (buf: ArrayBuffer): string => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** Whether this browser can use passkeys at all. */
export const passkeysSupported = (): boolean => typeof window !== 'undefined' && !!window.PublicKeyCredential && !!navigator.credentials;

/** The browser's refusal (the person cancelled, no passkey, a timeout), in words. */
function cancelled(e: unknown): ApiError {
  const name = e instanceof DOMException ? e.name : '';
  if (name === 'NotAllowedError' || name === 'AbortError')
    return new ApiError(0, 'network', 'The passkey prompt was closed or timed out. Try again when you are ready.');
  if (name === 'InvalidStateError') return new ApiError(0, 'network', 'This device already holds a passkey for you.');
  return new ApiError(0, 'network', 'This browser could not use a passkey here. Use the authenticator app instead.');
}

// One prompt of the browser: make (create) or use (get) a passkey; the
// answer's buffers as base64url, as the server reads them.
async function prompt(how: 'create' | 'get', o: Options): Promise<unknown> {
  const pk = o.publicKey;
  pk.challenge = dec(pk.challenge);
  if (pk.user) pk.user.id = dec(pk.user.id);
  for (const c of [...(pk.excludeCredentials || []), ...(pk.allowCredentials || [])]) c.id = dec(c.id);
  let cred: PublicKeyCredential;
  try {
    cred = (await navigator.credentials[how]({ publicKey: pk } as CredentialCreationOptions & CredentialRequestOptions)) as PublicKeyCredential;
  } catch (e) {
    throw cancelled(e);
  }
  const r = cred.response as AuthenticatorAttestationResponse & AuthenticatorAssertionResponse;
  const response =
    how === 'create'
      ? { clientDataJSON: enc(r.clientDataJSON), attestationObject: enc(r.attestationObject), transports: r.getTransports?.() || [] }
      : {
          clientDataJSON: enc(r.clientDataJSON),
          authenticatorData: enc(r.authenticatorData),
          signature: enc(r.signature),
          userHandle: r.userHandle ? enc(r.userHandle) : null,
        };
  return { id: cred.id, rawId: enc(cred.rawId), type: cred.type, response, clientExtensionResults: cred.getClientExtensionResults() };
}

/** Makes a passkey: begin, the browser's prompt, then the named answer. */
export async function addPasskey<T>(name: string): Promise<T> {
  const options = await request<Options>('POST', '/api/portal/passkeys/register/begin');
  return request<T>('POST', '/api/portal/passkeys/register', { name, credential: await prompt('create', options) });
}

/** Answers a passkey prompt: begin (its path) → the browser → finish (its path). */
export async function usePasskey<T>(begin: string, finish: string): Promise<T> {
  const options = await request<Options>('POST', begin);
  return request<T>('POST', finish, { credential: await prompt('get', options) });
}
