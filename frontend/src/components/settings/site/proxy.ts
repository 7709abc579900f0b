// The proxy configurations of docs/deploy.md (the tested nginx and Caddy
// ones), filled in with a site's host, its guarded paths and where
// Grantbook listens.
import type { SiteArea } from '../../../lib/types';

/** The site's host name ("shop.example.com") from its address. */
export function siteHost(baseURL: string): string {
  try {
    return new URL(baseURL).host || 'shop.example.com';
  } catch {
    return 'shop.example.com';
  }
}

/** The paths the proxy guards: the first segment of each area's prefixes
 * ("/admin" for /admin/orders and /admin/reports). */
export function guardedPaths(areas: SiteArea[]): string[] {
  const out = new Set<string>();
  for (const a of areas) for (const p of a.prefixes || []) out.add('/' + (p.split('/')[1] || ''));
  return out.size ? [...out].sort() : ['/admin'];
}

export function nginxConfig(host: string, upstream: string, paths: string[]): string {
  const guards = paths
    .map(
      (p) => `    location ${p === '/' ? '/' : p + '/'} {
        include snippets/grantbook-guard.conf;
        # proxy_set_header in a location replaces the server's: repeat yours here.
        proxy_set_header Host $host;
        proxy_pass http://127.0.0.1:8080;
    }`,
    )
    .join('\n');
  return `# snippets/grantbook.conf
location = /_grantbook/verify {
    internal;
    proxy_pass http://${upstream}/auth/verify;
    proxy_pass_request_body off;
    proxy_set_header Content-Length "";
    proxy_set_header X-Forwarded-Method $request_method;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_set_header X-Forwarded-Host $host;
    proxy_set_header X-Forwarded-Uri $request_uri;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
}
location /_grantbook/ {
    proxy_pass http://${upstream};
    proxy_set_header Host $host;
    proxy_set_header X-Forwarded-Host $host;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
}

# snippets/grantbook-guard.conf
auth_request /_grantbook/verify;
auth_request_set $grantbook_email $upstream_http_x_grantbook_email;
auth_request_set $grantbook_name $upstream_http_x_grantbook_name;
auth_request_set $grantbook_areas $upstream_http_x_grantbook_areas;
auth_request_set $grantbook_reason $upstream_http_x_grantbook_reason;
auth_request_set $grantbook_signin $upstream_http_location;
error_page 401 =302 $grantbook_signin;
add_header X-Grantbook-Reason $grantbook_reason always;
# Setting them replaces whatever the browser sent under these names.
proxy_set_header X-Grantbook-Email $grantbook_email;
proxy_set_header X-Grantbook-Name $grantbook_name;
proxy_set_header X-Grantbook-Areas $grantbook_areas;

# the site (your site's own backend on 127.0.0.1:8080)
server {
    listen 443 ssl;
    server_name ${host};
    ssl_certificate /etc/letsencrypt/live/${host}/fullchain.pem;
    ssl_certificate_key /etc/letsencrypt/live/${host}/privkey.pem;

    include snippets/grantbook.conf;

${guards}
    location / {
        proxy_set_header X-Grantbook-Email "";
        proxy_set_header X-Grantbook-Name "";
        proxy_set_header X-Grantbook-Areas "";
        proxy_set_header Host $host;
        proxy_pass http://127.0.0.1:8080;
    }
}
`;
}

export function caddyConfig(host: string, upstream: string, paths: string[]): string {
  const matcher = paths.map((p) => (p === '/' ? '/*' : `${p} ${p}/*`)).join(' ');
  return `${host} {
	handle /_grantbook/* {
		reverse_proxy ${upstream}
	}
	request_header -X-Grantbook-Email
	request_header -X-Grantbook-Name
	request_header -X-Grantbook-Areas
	@admin path ${matcher}
	route @admin {
		forward_auth ${upstream} {
			uri /auth/verify?redirect=1
			copy_headers X-Grantbook-Email X-Grantbook-Name X-Grantbook-Areas
		}
	}
	reverse_proxy 127.0.0.1:8080
}
`;
}
