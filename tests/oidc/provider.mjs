// A real OpenID provider for the tests (npm oidc-provider), on loopback only.
//
// Started by tests/oidc/conftest.py as `node provider.mjs` with its settings in the environment:
//   OIDC_PORT      the port to listen on (127.0.0.1 only)
//   OIDC_ISSUER    the issuer it names in its discovery document and tokens (default: its own URL)
//   OIDC_CLIENTS   JSON list of {client_id, client_secret, redirect_uris, post_logout_redirect_uris}
//   OIDC_ACCOUNTS  JSON object: login -> claims (email, email_verified, groups, name ...)
//   OIDC_USERINFO_ONLY  "1": the ID token holds only `sub`, the other claims come from userinfo
// Dev interactions are on: any login typed into its form signs in as that account (an unknown
// login gets no e-mail), any password is accepted. It prints "listening <issuer>" when ready.
import http from 'node:http';

import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT);
const issuer = process.env.OIDC_ISSUER || `http://127.0.0.1:${port}`;
const clients = JSON.parse(process.env.OIDC_CLIENTS || '[]');
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS || '{}');

const provider = new Provider(issuer, {
  clients: clients.map((c) => ({
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
    ...c,
  })),
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, ...(accounts[id] || {}) };
      },
    };
  },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    groups: ['groups'],
  },
  // The e-mail and groups go into the ID token itself (as most providers can be told to do),
  // unless the test wants them only at the userinfo endpoint (as this library's default is).
  conformIdTokenClaims: process.env.OIDC_USERINFO_ONLY === '1',
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  cookies: { keys: ['stagefour-test-provider-cookie-key'] },
});
// Plain HTTP on loopback: oidc-provider would otherwise insist on HTTPS for its cookies.
provider.proxy = false;

http.createServer(provider.callback()).listen(port, '127.0.0.1', () => {
  console.log(`listening ${issuer}`);
});
