/*
 * windows-reported-error: what the client's own ETW events say, beside
 * the packet verdicts (issue 23; research: windows-events.md). An event
 * carries a Windows code when it is one of these: Microsoft-Windows-
 * Iphlpsvc 4302 (the IP-HTTPS interface's ErrorCode) and its other error
 * events, CAPI2's chain or policy Result, Schannel's ErrorCode or
 * Schannel-Events' ReturnValue, DNS-Client's QueryStatus or Status, and
 * TCPIP's connect-failure Status (NTSTATUS). Only codes lib/rules/
 * windows.def lists count (the one table of names); the rest are shown in
 * the events, not judged.
 *
 * After every other rule ran: a connection verdict with a Windows code
 * whose connection has such an event - one that names it (its server
 * endpoint, or the name the client meant), from a minute before its first
 * packet, else one that names nothing, from its first packet; both to two
 * minutes after its last (the client logs after it gave up) - is
 * confirmed when the event's code is one windows.def lists for the
 * verdict's rule - the event is cited in the verdict's text - and
 * contradicted when the code belongs only to other rules: the event is
 * cited beside it and the confidence lowered one step. With no IP-HTTPS
 * connection in the capture (a trace without packets, or without the
 * tunnel's), each distinct code the events report is a verdict of its
 * own (unless it is already cited beside a packet verdict), with its
 * meaning and remedy below, confidence medium: Windows' own word, with no
 * packet to show it.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rules/rules.h"
#include "util/mem.h"

#define WINDOW_AFTER	(INT64_C(120) * 1000000000)	/* ns */
#define WINDOW_BEFORE	(INT64_C(60) * 1000000000)
#define MAX_REPORTED	4		/* distinct codes told without packets */

/* What each code this rule reports means, and what to do (research:
   windows-events.md "Error codes worth mapping", DirectAccess note §1). */
static const struct {
	uint32_t code;
	const char *meaning, *remedy;
	uint32_t same_as;	/* the Winsock code it stands for, or 0 */
} meanings[] = {
	{ 0x80090326, "the TLS handshake failed on a message the client "
	    "could not accept (no NULL cipher, an interceptor, a wrong "
	    "server or protocol version)", "Capture the packets too (netsh "
	    "trace start scenario=DirectAccess capture=yes) so datrace can "
	    "say which; on the server check Get-NetIPHttpsConfiguration and "
	    "that nothing inspects TLS on the path.", 0 },
	{ 0x80090331, "client and server share no cipher suite",
	    "Enable the NULL cipher suites (or a suite both sides allow) on "
	    "the IP-HTTPS server and any ADC in front of it.", 0 },
	{ 0x90320, "the server asked for a client certificate the client "
	    "did not send", "Enrol the client's computer certificate (the "
	    "template the IP-HTTPS server trusts), or turn off client "
	    "certificate authentication for IP-HTTPS.", 0 },
	{ 0x800b0109, "the server's certificate chain ends in a root the "
	    "client does not trust", "Install the issuing root CA in the "
	    "client's Trusted Root store, or give the IP-HTTPS listener a "
	    "certificate from a CA the clients trust.", 0 },
	{ 0x800b0101, "the server's certificate has expired",
	    "Renew the IP-HTTPS certificate (Set-RemoteAccess -SslCertificate) "
	    "on the server or ADC.", 0 },
	{ 0x800b010f, "the server's certificate does not name the host in "
	    "the IP-HTTPS URL", "Use a certificate whose subject or SAN is the "
	    "ConnectTo host of the IP-HTTPS URL, or change the URL to match.", 0 },
	{ 0x80092013, "the client could not check the certificate's "
	    "revocation: the CRL distribution point was unreachable",
	    "Publish the CRL at a URL the client reaches from the Internet "
	    "(outside the tunnel), or fix the CDP in the certificate.", 0 },
	{ 0x103, "no usable certificate was found (KB 2980635: Failed to "
	    "connect to IPHTTPS server)", "Check the client's computer "
	    "certificate (Certificates - Local Computer, Personal) and that "
	    "its template allows client authentication.", 0 },
	{ 0x2af9, "the IP-HTTPS server's name did not resolve", "Publish the ConnectTo name of the "
	    "IP-HTTPS URL in public DNS; check the client's DNS server and "
	    "the NRPT exemption for it.", 0 },
	{ 0x2afc, "the IP-HTTPS server's name has no address of the asked "
	    "type", "Publish an A (or AAAA) record for the "
	    "IP-HTTPS ConnectTo name.", 0 },
	{ 0x274c, "the connection to the IP-HTTPS server timed out",
	    "Check that TCP 443 reaches the server: firewalls, NAT, the "
	    "server's listener (Get-NetIPHttpsState on the server).", 0 },
	{ 0x274d, "the IP-HTTPS server refused the connection",
	    "Make something listen on the IP-HTTPS address and port: the "
	    "Remote Access service, the NAT rule or the ADC's virtual "
	    "server.", 0 },
	{ 0xc0000236, "TCP connect failed: the server refused it", "Make something listen on the "
	    "IP-HTTPS address and port.", 0x274d },
	{ 0xc00000b5, "TCP connect timed out",
	    "Check that TCP 443 reaches the server.", 0x274c },
	{ 9003, "the DNS server says the IP-HTTPS server's name does not "
	    "exist", "Publish the ConnectTo name "
	    "of the IP-HTTPS URL in public DNS.", 0x2af9 },
};

static const char *
meaning_of(uint32_t code, const char **remedy)
{
	size_t i;

	for (i = 0; i < sizeof meanings / sizeof meanings[0]; i++)
		if (meanings[i].code == code) {
			*remedy = meanings[i].remedy;
			return meanings[i].meaning;
		}
	return NULL;
}

/* The Winsock code an NTSTATUS or DNS status stands for, else code. */
static uint32_t
same_as(uint32_t code)
{
	size_t i;

	for (i = 0; i < sizeof meanings / sizeof meanings[0]; i++)
		if (meanings[i].code == code && meanings[i].same_as != 0)
			return meanings[i].same_as;
	return code;
}

static const char *
text_of(const struct dt_winevent *e, const char *name)
{
	size_t i;

	for (i = 0; i < e->n_fields; i++)
		if (strcmp(e->fields[i].name, name) == 0)
			return e->fields[i].text;
	return NULL;
}

/* "1.2.3.4:443" or "[2001:db8:0:0:0:0:0:10]:443" (the events' socket
   address text, IPv6 in full form) into a; 0, or -1 when it is neither. */
static int
sockaddr_parse(const char *t, struct dt_addr *a, uint16_t *port)
{
	char h[64];
	const char *colon;
	size_t n;

	if (t[0] == '[') {
		if ((colon = strstr(t, "]:")) == NULL ||
		    (n = (size_t)(colon - t - 1)) >= sizeof h)
			return -1;
		memcpy(h, t + 1, n);
		h[n] = '\0';
		colon++;
		a->family = 6;
	} else {
		if ((colon = strrchr(t, ':')) == NULL ||
		    (n = (size_t)(colon - t)) >= sizeof h)
			return -1;
		memcpy(h, t, n);
		h[n] = '\0';
		a->family = 4;
	}
	memset(a->a, 0, sizeof a->a);
	if (inet_pton(a->family == 6 ? AF_INET6 : AF_INET, h, a->a) != 1)
		return -1;
	*port = (uint16_t)atoi(colon + 1);
	return 0;
}

/* The host of an "https://host:port/path" URL into out; -1: not one. */
static int
url_host(const char *u, char *out, size_t n)
{
	size_t k;

	if (strncmp(u, "https://", 8) != 0 && strncmp(u, "http://", 7) != 0)
		return -1;
	u = strchr(u, '/') + 2;
	k = u[0] == '[' ? strcspn(u, "]") + 1 : strcspn(u, ":/");
	snprintf(out, n, "%.*s", (int)k, u);
	return 0;
}

/* Whether DNS answers in the capture resolved name to c's server: the
   answers for that name only, through the index (never every answer of
   the capture, once per connection and event). */
static int
resolved_to(const struct dt_rule_ctx *ctx, const char *name,
    const struct dt_conn *c)
{
	struct dt_hash_iter it;
	const struct dt_dns *d;
	struct dt_addr a;
	size_t i;

	for (d = dt_rule_index_dns_first(&ctx->idx, name, &it); d != NULL;
	    d = dt_rule_index_dns_next(&ctx->idx, &it))
		for (i = 0; i < d->n_addrs; i++) {
			dt_dns_addr(d, i, &a);
			if (dt_addr_eq(&a, &c->server))
				return 1;
		}
	return 0;
}

#define NAMES_IT	1	/* names this connection */
#define BY_TIME		0	/* names nothing a connection is known by */
#define NAMES_OTHER	(-1)	/* names another server or name */

/*
 * What links event e to connection c. By what the event names, when it
 * names what a connection is known by: TCPIP's RemoteAddress against the
 * server endpoint; a TargetName (Schannel), ServerName (Iphlpsvc), the
 * IP-HTTPS URL's host (Iphlpsvc-Trace) or a DNS-Client QueryName against
 * the name the client meant (--host, else SNI, else HTTP Host), a
 * QueryName also when the capture's DNS answers for it led to the
 * server's address. Events that name nothing (Iphlpsvc 4302, CAPI2) go
 * by time.
 */
static int
link_of(const struct dt_rule_ctx *ctx, const struct dt_conn *c,
    const struct dt_winevent *e)
{
	static const char *const names[] = {
		"TargetName", "ServerName", "QueryName", "URL",
	};
	const char *t, *host;
	char h[256];
	struct dt_addr a;
	uint16_t port;
	size_t k;

	if ((t = text_of(e, "RemoteAddress")) != NULL)
		return sockaddr_parse(t, &a, &port) == 0 &&
		    dt_addr_eq(&a, &c->server) && port == c->server_port ?
		    NAMES_IT : NAMES_OTHER;
	for (k = 0; k < sizeof names / sizeof names[0]; k++) {
		if ((t = text_of(e, names[k])) == NULL || t[0] == '\0')
			continue;
		if (k == 3) {
			if (url_host(t, h, sizeof h) != 0)
				continue;
			t = h;
		}
		host = dt_rule_host(ctx, c);
		if (host == NULL)
			return BY_TIME;
		if (dt_rule_host_eq(t, host) ||
		    dt_rule_host_eq(t, dt_facts_server_name(c)) ||
		    (k == 2 && resolved_to(ctx, t, c)))
			return NAMES_IT;
		return NAMES_OTHER;
	}
	return BY_TIME;
}

/* The Windows code an event reports, 0 when none (or success). */
static uint32_t
event_code(const struct dt_winevent *e, const char **field)
{
	static const char *const names[] = {
		"ErrorCode", "Result", "StatusCode", "ReturnValue",
		"QueryStatus", "Status",
	};
	size_t i, k;

	for (k = 0; k < sizeof names / sizeof names[0]; k++)
		for (i = 0; i < e->n_fields; i++) {
			const struct dt_winevent_field *f = &e->fields[i];

			if (!f->is_num || strcmp(f->name, names[k]) != 0 ||
			    f->u == 0 || f->u > UINT32_MAX)
				continue;
			*field = f->name;
			return (uint32_t)f->u;
		}
	return 0;
}

/* The name windows.def gives the code under any rule (rule: that rule
   only, or NULL for any); NULL when it lists none. */
static const char *
code_name(uint32_t code, const char *rule)
{
	const char *id, *name;
	uint32_t c;
	size_t i, k;

	for (i = 0; dt_rule_at(i, &id, NULL, NULL) == DT_OK; i++) {
		if (rule != NULL && strcmp(id, rule) != 0)
			continue;
		for (k = 0; dt_rule_windows_at(id, k, &c, &name) == DT_OK; k++)
			if (c == code)
				return name;
	}
	return NULL;
}

/* "14:02:03.123 UTC" */
static void
clock_text(int64_t ns, int has, char *out, size_t n)
{
	time_t s = (time_t)(ns / 1000000000);
	struct tm tm;

	if (!has || ns < 0 || gmtime_r(&s, &tm) == NULL) {
		snprintf(out, n, "(no time)");
		return;
	}
	snprintf(out, n, "%02d:%02d:%02d.%03d UTC", tm.tm_hour, tm.tm_min,
	    tm.tm_sec, (int)(ns / 1000000 % 1000));
}

/* "Microsoft-Windows-Iphlpsvc event 4302 at 14:02:03.123 UTC logged
   ErrorCode 0x800B0109 (CERT_E_UNTRUSTEDROOT)" */
static void
cite(const struct dt_winevent *e, const char *field, uint32_t code,
    const char *name, char *out, size_t n)
{
	char t[32];

	clock_text(e->time, e->has_time, t, sizeof t);
	snprintf(out, n, "%s event %u at %s logged %s 0x%X (%s)", e->provider,
	    e->id, t, field, code, name);
}

/* Appends text to the verdict's explanation (which may be interned). */
static void
explain_more(struct dt_capture *cap, struct dt_verdict *v, const char *more)
{
	size_t a = strlen(v->explanation), b = strlen(more);
	char *s = dt_malloc(cap->mem, a + b + 2);

	if (s == NULL)
		return;
	memcpy(s, v->explanation, a);
	s[a] = a > 0 ? ' ' : '\0';
	memcpy(s + a + (a > 0), more, b + 1);
	if (!(v->shared_text & (1 | 4)))	/* kept text stays, unused */
		dt_free(cap->mem, v->explanation);
	v->explanation = s;
	v->shared_text &= (uint8_t)~(1u | 4u);
}

static void iphttps_host(const struct dt_rule_ctx *ctx, char *out,
    size_t n);
static int relevant(const struct dt_rule_ctx *ctx,
    const struct dt_winevent *e, const char *host);

/* An event with a Windows code windows.def lists, in time order. */
struct coded {
	const struct dt_winevent *e;
	uint32_t code;
	const char *field;
};

static int
by_time(const void *a, const void *b)
{
	const struct coded *x = a, *y = b;

	if (x->e->has_time != y->e->has_time)
		return x->e->has_time ? 1 : -1;
	if (x->e->time != y->e->time)
		return x->e->time < y->e->time ? -1 : 1;
	return x->e->offset < y->e->offset ? -1 : x->e->offset > y->e->offset;
}

/* The first coded event at or after time t (n when none). */
static size_t
first_from(const struct coded *k, size_t n, int64_t t)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (!k[mid].e->has_time || k[mid].e->time < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The connection's coded events (c NULL: a capture-wide verdict, the
   capture's events that are about IP-HTTPS): the first that confirms the
   verdict, else the first that contradicts it; an event that names the
   connection (link_of) before one linked by its time alone, and one that
   names another never. Named events count from WINDOW_BEFORE before the
   connection's first packet (a DNS query, a connect attempt), the others
   from it; both to WINDOW_AFTER after its last. Binary search to the
   window's start: the cost is the events of its time. */
static uint32_t
weigh(struct dt_rule_ctx *ctx, struct dt_verdict *v, const struct dt_conn *c,
    const char *host, const struct coded *k, size_t n)
{
	const struct coded *pro[2] = { NULL, NULL }, *con[2] = { NULL, NULL };
	const struct coded *got;
	const char *name;
	char text[DT_RULE_TEXT], ev[DT_RULE_TEXT / 2];
	size_t i = c != NULL ? first_from(k, n, c->first_time - WINDOW_BEFORE) :
	    0;
	int l;

	for (; i < n; i++) {
		if (c != NULL && k[i].e->time > c->last_time + WINDOW_AFTER)
			break;
		if (c != NULL) {
			l = link_of(ctx, c, k[i].e);
			if (l == NAMES_OTHER || (l == BY_TIME &&
			    k[i].e->time < c->first_time))
				continue;
		} else if (!relevant(ctx, k[i].e, host))
			continue;
		else
			l = BY_TIME;
		if (code_name(k[i].code, v->id) != NULL ||
		    code_name(same_as(k[i].code), v->id) != NULL) {
			if (pro[l == NAMES_IT] == NULL)
				pro[l == NAMES_IT] = &k[i];
		} else if (con[l == NAMES_IT] == NULL)
			con[l == NAMES_IT] = &k[i];
	}
	if ((got = pro[1] != NULL ? pro[1] : pro[0]) != NULL) {
		if ((name = code_name(got->code, v->id)) == NULL)
			name = code_name(got->code, NULL);
		cite(got->e, got->field, got->code, name, ev, sizeof ev);
		snprintf(text, sizeof text, "Windows confirms it: %s.", ev);
		explain_more(ctx->cap, v, text);
		return got->code;
	}
	if ((got = con[1] != NULL ? con[1] : con[0]) == NULL)
		return 0;
	if (v->confidence > DT_CONF_LOW)
		v->confidence--;
	cite(got->e, got->field, got->code, code_name(got->code, NULL), ev,
	    sizeof ev);
	snprintf(text, sizeof text, "Windows says otherwise: %s, which is not "
	    "what the packets show (%s); confidence lowered to %s.", ev,
	    v->win_name != NULL ? v->win_name : v->id,
	    dt_confidence_name(v->confidence));
	explain_more(ctx->cap, v, text);
	return got->code;
}

/* The host of the IP-HTTPS URL the client's interface state names
   (Iphlpsvc-Trace 5000 URL), else --host; "" when neither. */
static void
iphttps_host(const struct dt_rule_ctx *ctx, char *out, size_t n)
{
	const struct dt_winevent *e;
	const char *u;
	size_t k;

	snprintf(out, n, "%s", ctx->cfg->host != NULL ? ctx->cfg->host : "");
	for (e = ctx->cap->winevents; e != NULL; e = e->next) {
		if (strcmp(e->provider, "Microsoft-Windows-Iphlpsvc-Trace") != 0
		    || (u = text_of(e, "URL")) == NULL ||
		    strncmp(u, "https://", 8) != 0)
			continue;
		u += 8;
		k = strcspn(u, ":/");
		snprintf(out, n, "%.*s", (int)k, u);
		return;
	}
}

/* Without a connection to judge: a TCPIP connect event counts when it
   went to an IP-HTTPS port, a DNS-Client event when it asked for the
   IP-HTTPS host; the others are the IP-HTTPS client's or its TLS's. */
static int
relevant(const struct dt_rule_ctx *ctx, const struct dt_winevent *e,
    const char *host)
{
	const char *t;

	if (strcmp(e->provider, "Microsoft-Windows-TCPIP") == 0)
		return (t = text_of(e, "RemoteAddress")) != NULL &&
		    (t = strrchr(t, ':')) != NULL &&
		    dt_rule_in_ports(ctx->cfg, (uint16_t)atoi(t + 1));
	if (strcmp(e->provider, "Microsoft-Windows-DNS-Client") == 0)
		return host[0] != '\0' && (t = text_of(e, "QueryName")) !=
		    NULL && dt_rule_host_eq(t, host);
	return 1;
}

/* No IP-HTTPS connection: each distinct code the events report. */
static void
from_events(struct dt_rule_ctx *ctx, const char *host, const uint32_t *cited,
    size_t n_cited)
{
	const struct dt_winevent *e;
	const char *field = NULL, *meaning, *remedy, *name;
	uint32_t code, told[MAX_REPORTED];
	size_t n = 0, i;
	char sum[DT_RULE_TEXT], ex[DT_RULE_TEXT], ev[DT_RULE_TEXT / 2];

	for (e = ctx->cap->winevents; e != NULL && n < MAX_REPORTED;
	    e = e->next) {
		if (!relevant(ctx, e, host) ||
		    (code = event_code(e, &field)) == 0 ||
		    (meaning = meaning_of(code, &remedy)) == NULL ||
		    (name = code_name(code, dt_rule_windows_reported_error.id))
		    == NULL)
			continue;
		for (i = 0; i < n && told[i] != code; i++)
			;
		if (i < n)
			continue;
		for (i = 0; i < n_cited && cited[i] != code; i++)
			;
		if (i < n_cited)	/* already beside a packet verdict */
			continue;
		told[n++] = code;
		cite(e, field, code, name, ev, sizeof ev);
		snprintf(sum, sizeof sum, "Windows reported 0x%X (%s): %s", code,
		    name, meaning);
		snprintf(ex, sizeof ex, "%s. The capture shows no IP-HTTPS "
		    "connection, so this rests on the client's own event "
		    "alone (confidence medium): no packet confirms it.", ev);
		dt_verdict_add(ctx, &dt_rule_windows_reported_error, NULL,
		    DT_CONF_MEDIUM, code, name, NULL, 0, sum, ex, remedy);
	}
}

static void
check(struct dt_rule_ctx *ctx)
{
	struct dt_verdict *v;
	const struct dt_conn *c = NULL;
	const struct dt_winevent *e;
	struct coded *k = NULL;
	uint32_t cited[MAX_REPORTED], code;
	size_t n_cited = 0, n = 0;
	const char *field = NULL;
	char host[256];

	if (ctx->cap->winevents == NULL)
		return;
	iphttps_host(ctx, host, sizeof host);
	for (e = ctx->cap->winevents; e != NULL; e = e->next)
		n += (code = event_code(e, &field)) != 0 &&
		    code_name(code, NULL) != NULL;
	if (n > 0 && (k = dt_calloc(ctx->cap->mem, n, sizeof *k)) != NULL) {
		n = 0;
		for (e = ctx->cap->winevents; e != NULL; e = e->next)
			if ((code = event_code(e, &field)) != 0 &&
			    code_name(code, NULL) != NULL) {
				k[n].e = e;
				k[n].code = code;
				k[n++].field = field;
			}
		qsort(k, n, sizeof *k, by_time);
		for (v = ctx->cap->verdicts; v != NULL; v = v->next) {
			if (v->win_code == 0 || (v->conn != 0 &&
			    (c = dt_rule_conn(ctx, v->conn)) == NULL))
				continue;
			code = weigh(ctx, v, v->conn != 0 ? c : NULL, host, k,
			    n);
			if (code != 0 && n_cited < MAX_REPORTED)
				cited[n_cited++] = code;
		}
		dt_free(ctx->cap->mem, k);
	}
	if (!ctx->any_marked)
		from_events(ctx, host, cited, n_cited);
}

const struct dt_rule dt_rule_windows_reported_error = {
	.id = "windows-reported-error",
	.severity = DT_SEV_ERROR,
	.summary = "the client's own ETW events report an IP-HTTPS error",
	.check_capture = check,
};
