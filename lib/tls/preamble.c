/*
 * tls/preamble: TLS that begins after a plaintext preamble, found by the
 * protocol's own upgrade message, not by the port:
 *
 *   SMTP    RFC 3207 4     client STARTTLS, server 220
 *   NNTP    RFC 4642 2.2   client STARTTLS, server 382
 *   Sieve   RFC 5804 2.2   client STARTTLS, server OK
 *   IRC     IRCv3 "tls"    client STARTTLS, server ":prefix 670 ..."
 *                          (691, or 421/451 naming STARTTLS: no)
 *   IMAP    RFC 9051 6.2.1 client "tag STARTTLS", server "tag OK"
 *   POP3    RFC 2595 4     client STLS, server +OK
 *   FTP     RFC 4217 4     client AUTH TLS (SSL, TLS-C, TLS-P), server 234
 *   XMPP    RFC 6120 5.4   client <starttls xmlns=...tls/>, server <proceed/>
 *   LDAP    RFC 4511 4.14  ExtendedRequest 1.3.6.1.4.1.1466.20037, success
 *   PostgreSQL             SSLRequest (length 8, code 80877103), server 'S'
 *   MySQL                  SSLRequest (32-byte payload with CLIENT_SSL)
 *   SOCKS 4/4a             CONNECT, reply 90; SOCKS 5 (RFC 1928) CONNECT
 *                          after method (and RFC 1929 password) exchange,
 *                          reply 0
 *
 * The first bytes of a direction choose the framing (text lines, XML
 * elements, or the binary protocol's own lengths); units are gathered whole
 * (at most PRE_UNIT bytes, PRE_TOTAL per direction, else the direction is
 * not TLS for us) and read by the protocol's step. When the client asks, its
 * next bytes are TLS; when the server agrees, its next bytes are. A refusal
 * sends the client back to plaintext. A server's first line was kept as the
 * non-TLS fact (record.c); once TLS is agreed that fact is withdrawn.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "tls/tls_int.h"
#include "util/bytetab.h"

#define PRE_UNIT	4096		/* one line, element or message */
#define PRE_TOTAL	(64 * 1024)	/* preamble bytes per direction */

enum family {
	F_NONE = 0,
	F_TEXT,		/* CRLF lines: SMTP, IMAP, POP3, FTP, NNTP, Sieve,
			   IRC */
	F_XML,		/* XMPP: elements up to '>' */
	F_PG,		/* PostgreSQL: client int32 length; server 1 byte */
	F_MYSQL,	/* MySQL packets: int24 length, sequence */
	F_SOCKS4,
	F_SOCKS5,
	F_LDAP,		/* BER LDAPMessage */
};

enum cmd {
	CMD_NONE = 0,
	CMD_STARTTLS,	/* SMTP, NNTP, Sieve, IRC: told apart by the
			   answer */
	CMD_IMAP,
	CMD_STLS,
	CMD_AUTH,
	CMD_XMPP,
};

static const struct {
	const char *id;
	const char *name;
} names[] = {
	[DT_PRE_NONE] = { NULL, NULL },
	[DT_PRE_SMTP] = { "smtp", "SMTP STARTTLS" },
	[DT_PRE_IMAP] = { "imap", "IMAP STARTTLS" },
	[DT_PRE_POP3] = { "pop3", "POP3 STLS" },
	[DT_PRE_FTP] = { "ftp", "FTP AUTH TLS" },
	[DT_PRE_XMPP] = { "xmpp", "XMPP STARTTLS" },
	[DT_PRE_NNTP] = { "nntp", "NNTP STARTTLS" },
	[DT_PRE_SIEVE] = { "sieve", "ManageSieve STARTTLS" },
	[DT_PRE_LDAP] = { "ldap", "LDAP StartTLS" },
	[DT_PRE_POSTGRES] = { "postgresql", "PostgreSQL SSLRequest" },
	[DT_PRE_MYSQL] = { "mysql", "MySQL SSL request" },
	[DT_PRE_SOCKS4] = { "socks4", "SOCKS4 CONNECT" },
	[DT_PRE_SOCKS5] = { "socks5", "SOCKS5 CONNECT" },
	[DT_PRE_HTTP_CONNECT] = { "http-connect", "HTTP CONNECT" },
	[DT_PRE_IRC] = { "irc", "IRC STARTTLS" },
};

const char *
dt_tls_preamble_id(unsigned p)
{
	return p < sizeof names / sizeof names[0] ? names[p].id : NULL;
}

const char *
dt_tls_preamble_name(unsigned p)
{
	return p < sizeof names / sizeof names[0] ? names[p].name : NULL;
}

/* ---- non-TLS bytes ----------------------------------------------------- */

/* The first printable line (else the first bytes in hex) of what came
   where TLS was expected. */
void
dt_tls_nontls_fact(struct dt_tls *t, struct dt_conn *c, int dir)
{
	struct tdir *d = &t->d[dir];
	const struct fmark *fm = fmap_at(&d->bmap, 0);
	struct dt_tls_rare *rf;
	size_t n = 0, i;
	int binary = 0;
	char hex[3 * 16 + 16];

	while (n < d->len && n < LINE_MAX && d->buf[n] != '\r' &&
	    d->buf[n] != '\n')
		n++;
	for (i = 0; i < n; i++)
		if ((d->buf[i] < 0x20 && d->buf[i] != '\t') || d->buf[i] >= 0x7F)
			binary = 1;
	if (n == 0 && d->len > 0)
		binary = 1;
	if (binary) {	/* no text line: its first bytes in hex */
		size_t k = 0;

		k += (size_t)snprintf(hex, sizeof hex, "(binary)");
		for (i = 0; i < d->len && i < 16; i++)
			k += (size_t)snprintf(hex + k, sizeof hex - k, " %02x",
			    d->buf[i]);
	}
	if (dt_tls_rare(c->tls)->non_tls_frame == 0 &&
	    (rf = dt_tls_rare_make(t->m, c->tls)) != NULL) {
		rf->non_tls_frame = fm->frame;
		rf->non_tls_dir = (uint8_t)dir;
		rf->non_tls_line = binary ? dt_strdup(t->m, hex) :
		    dt_strndup(t->m, (const char *)d->buf, n);
		dt_tls_event(t, c, DT_EV_NON_TLS, dir, fm->frame, fm->time, 0, 0);
	}
}

/* ---- entering the preamble ---------------------------------------------- */

/* Printable ASCII, CR, LF, TAB: a byte of a text line. A table (0: not
   text, 1: text, 3: LF, the text that ends a line), as every byte of a
   preamble's lines is asked. */
#define TX(c)	((c) == '\n' ? 3 : ((c) >= 0x20 && (c) < 0x7F) || \
		    (c) == '\r' || (c) == '\t')
const uint8_t dt_tls_text_byte[256] = DT_BYTE_TABLE(TX);
#undef TX

/* Bytes a direction needs to tell its framing; b holds `have` of them. */
#define PRE_PROBE 5

/* The framing the first bytes of `dir` call for: F_* ; F_NONE when none
   of ours; -1 when more bytes are needed. */
static int
classify(const struct dt_tls *t, int dir, const uint8_t *b, size_t have)
{
	if (t->pre.family != F_NONE)
		return t->pre.family;	/* the other side chose */
	if (have < 3)
		return -1;
	if (dir == DT_C2S) {
		if (b[0] == 0 && b[1] == 0 && b[2] == 0)
			return F_PG;
		if (b[0] == 0x04 && (b[1] == 1 || b[1] == 2))
			return F_SOCKS4;
		if (b[0] == 0x05 && b[1] >= 1 && b[1] <= 16)
			return F_SOCKS5;
		if (b[0] == 0x30)
			return F_LDAP;
	} else {
		if (have < PRE_PROBE)
			return -1;
		if (b[3] == 0 && b[4] == 0x0A && (b[0] | b[1] | b[2]) != 0)
			return F_MYSQL;		/* greeting, protocol 10 */
	}
	if (b[0] == '<')
		return F_XML;
	if (dt_tls_is_text(b[0]) && dt_tls_is_text(b[1]) &&
	    dt_tls_is_text(b[2]))
		return F_TEXT;
	return F_NONE;
}

int
dt_tls_pre_begin(struct dt_tls *t, int dir, const uint8_t **p, size_t *n,
    uint64_t frame, int64_t time)
{
	struct tdir *d = &t->d[dir];
	int f;

	for (;;) {
		f = classify(t, dir, d->buf, d->len);
		if (f >= 0)
			break;
		if (*n == 0)
			return -1;
		if (!dt_tls_take(t, d, p, n, d->len + 1, frame, time))
			return -1;
	}
	if (f == F_NONE)
		return 0;
	t->pre.family = (uint8_t)f;
	d->state = D_PRE;
	return 1;
}

int
dt_tls_pre_text_here(const struct dt_tls *t, int dir, const uint8_t *b,
    size_t have)
{
	int f = classify(t, dir, b, have);

	if (f == F_NONE)
		return 0;
	return f == F_TEXT ? 1 : -1;
}

void
dt_tls_pre_text_begin(struct dt_tls *t, int dir)
{
	t->pre.family = F_TEXT;
	t->d[dir].state = D_PRE;
}

/* ---- units -------------------------------------------------------------- */

/* BER length at b[1..]: total TLV length, 0 need more, -1 bad. */
static long
ber_len(const uint8_t *b, size_t have)
{
	size_t k, i;
	unsigned long len = 0;

	if (have < 2)
		return 0;
	if (!(b[1] & 0x80))
		return 2 + (long)b[1];
	k = b[1] & 0x7F;
	if (k == 0 || k > 3)
		return -1;
	if (have < 2 + k)
		return 0;
	for (i = 0; i < k; i++)
		len = len << 8 | b[2 + i];
	return (long)(2 + k + len);
}

/* SOCKS5 address (RFC 1928 4/6) at b[3]: the unit's length. */
static long
socks5_addr_len(const uint8_t *b, size_t have)
{
	if (have < 5)
		return 0;
	switch (b[3]) {
	case 1:
		return 4 + 4 + 2;
	case 3:
		return 4 + 1 + (long)b[4] + 2;
	case 4:
		return 4 + 16 + 2;
	default:
		return -1;
	}
}

/* The length of the unit at d->buf (d->len bytes so far): >0 known, 0 need
   more, -1 not what the framing expects. */
static long
unit_len(const struct dt_tls *t, int dir, const uint8_t *b, size_t have)
{
	const uint8_t *e;
	size_t i;

	switch (t->pre.family) {
	case F_TEXT:
		if (have == 0)	/* b may be NULL: lines read in place */
			return 0;
		e = memchr(b, '\n', have);
		for (i = 0; i < have; i++)
			if (!dt_tls_is_text(b[i]))
				return -1;
		return e != NULL ? (long)(e - b) + 1 : 0;
	case F_XML:
		e = memchr(b, '>', have);
		return e != NULL ? (long)(e - b) + 1 : 0;
	case F_PG:
		if (dir == DT_S2C)
			return 1;	/* 'S' or 'N' */
		if (have < 4)
			return 0;
		return (long)((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
		    (uint32_t)b[2] << 8 | b[3]);
	case F_MYSQL:
		if (have < 4)
			return 0;
		return 4 + (long)(b[0] | b[1] << 8 | b[2] << 16);
	case F_SOCKS4:
		if (dir == DT_S2C)
			return 8;
		if (have < 9)
			return 0;
		e = memchr(b + 8, 0, have - 8);		/* user id */
		if (e == NULL)
			return 0;
		i = (size_t)(e - b) + 1;
		if (b[4] == 0 && b[5] == 0 && b[6] == 0 && b[7] != 0) {
			/* SOCKS 4a: a host name follows */
			e = i < have ? memchr(b + i, 0, have - i) : NULL;
			return e != NULL ? (long)(e - b) + 1 : 0;
		}
		return (long)i;
	case F_SOCKS5:
		switch (t->pre.step[dir]) {
		case 0:		/* methods / chosen method */
			if (dir == DT_S2C)
				return 2;
			return have < 2 ? 0 : 2 + (long)b[1];
		case 1:		/* RFC 1929 username/password, or request */
			if (t->pre.socks_method == 2) {
				if (dir == DT_S2C)
					return 2;
				if (have < 2)
					return 0;
				if (have < 3 + (size_t)b[1])
					return 0;
				return 3 + (long)b[1] + b[2 + b[1]];
			}
			return socks5_addr_len(b, have);
		default:
			return socks5_addr_len(b, have);
		}
	case F_LDAP:
		if (b[0] != 0x30)
			return -1;
		return ber_len(b, have);
	default:
		return -1;
	}
}

/* ---- the protocols' steps ----------------------------------------------- */

/* Case-insensitive: does line l (n bytes, no CRLF) equal / begin with w? */
static int
line_is(const uint8_t *l, size_t n, const char *w)
{
	size_t k = strlen(w);

	return n == k && strncasecmp((const char *)l, w, k) == 0;
}

static int
line_starts(const uint8_t *l, size_t n, const char *w)
{
	size_t k = strlen(w);

	return n >= k && strncasecmp((const char *)l, w, k) == 0;
}

/* TLS was agreed: the agreeing side's next bytes are TLS. */
static void
agreed(struct dt_tls *t, struct dt_conn *c, int dir, unsigned proto,
    uint64_t frame, int64_t time)
{
	struct dt_tls_facts *f = c->tls;
	size_t i;

	t->pre.agreed = 1;
	t->d[dir].state = D_START;
	if (t->d[!dir].state == D_PRE && t->pre.asked)
		t->d[!dir].state = D_START;
	f->preamble = (uint8_t)proto;
	if (dt_tls_rare_make(t->m, f) != NULL)
		f->rare->preamble_frame = frame;
	dt_tls_event(t, c, DT_EV_TLS_UPGRADE, dir, frame, time,
	    (uint16_t)proto, 0);
	/* the server's greeting is no longer a wrong answer to TLS */
	if (t->pre.greeting && dt_tls_rare(f)->non_tls_frame != 0) {
		dt_free(t->m, f->rare->non_tls_line);
		f->rare->non_tls_line = NULL;
		f->rare->non_tls_frame = 0;
		for (i = 0; i < c->n_events; i++)
			if (c->events[i].type == DT_EV_NON_TLS) {
				memmove(c->events + i, c->events + i + 1,
				    (c->n_events - i - 1) *
				    sizeof c->events[0]);
				c->n_events--;
				break;
			}
	}
}

/* The client asked: its next bytes are TLS (or, if refused, text again). */
static void
asked(struct dt_tls *t, struct dt_conn *c, int cmd, uint64_t frame)
{
	t->pre.before = t->pre.pending;
	t->pre.asked = 1;
	t->pre.cmd = (uint8_t)cmd;
	t->d[DT_C2S].state = D_START;
	if (dt_tls_rare(c->tls)->preamble_asked_frame == 0 &&
	    dt_tls_rare_make(t->m, c->tls) != NULL)
		c->tls->rare->preamble_asked_frame = frame;
}

/* u[0..3) are a reply code's three digits. */
static int
three_digits(const uint8_t *u)
{
	return u[0] >= '0' && u[0] <= '9' && u[1] >= '0' && u[1] <= '9' &&
	    u[2] >= '0' && u[2] <= '9';
}

/* An IRC message with the server's prefix (":name 670 nick :text"): its
   three-digit numeric, or -1 when it has none (a NOTICE, a PRIVMSG). */
static int
irc_numeric(const uint8_t *u, size_t n)
{
	size_t i = 1;

	while (i < n && u[i] != ' ')		/* the prefix */
		i++;
	while (i < n && u[i] == ' ')
		i++;
	if (n - i < 3 || (n - i > 3 && u[i + 3] != ' '))
		return -1;
	if (!three_digits(u + i))
		return -1;
	return (u[i] - '0') * 100 + (u[i + 1] - '0') * 10 + (u[i + 2] - '0');
}

/* The server said no (u: its answer, n bytes): the fact keeps the first
   refusal and the first line of the answer, control bytes as '.'. */
static void
refused(struct dt_tls *t, struct dt_conn *c, uint64_t frame,
    const uint8_t *u, size_t n)
{
	struct dt_tls_rare *rf;
	size_t k = 0;

	t->pre.asked = 0;
	t->pre.cmd = CMD_NONE;
	if (dt_tls_rare(c->tls)->preamble_refused_frame != 0 ||
	    (rf = dt_tls_rare_make(t->m, c->tls)) == NULL)
		return;
	rf->preamble_refused_frame = frame;
	while (k < n && k < LINE_MAX && u[k] != '\r' && u[k] != '\n')
		k++;
	if ((rf->preamble_refused_line = dt_strndup(t->m, (const char *)u,
	    k)) != NULL)
		for (n = 0; n < k; n++)
			if ((uint8_t)rf->preamble_refused_line[n] < 0x20 ||
			    (uint8_t)rf->preamble_refused_line[n] >= 0x7F)
				rf->preamble_refused_line[n] = '.';
}

/* A final numbered reply ("250 ok", "220"; not "250-" going on): the
   answer to one command of SMTP, NNTP or FTP. */
static int
final_reply(const uint8_t *u, size_t n)
{
	return n >= 3 && three_digits(u) && (n == 3 || u[3] == ' ');
}

static void
text_step(struct dt_tls *t, struct dt_conn *c, int dir, const uint8_t *u,
    size_t n, uint64_t frame, int64_t time)
{
	if (n > 0 && u[n - 1] == '\n')
		n--;
	if (n > 0 && u[n - 1] == '\r')
		n--;
	/* Commands may be pipelined (SMTP, RFC 2920): "RSET" and
	   "STARTTLS" in one segment get two replies in order, and only
	   the second answers the upgrade. Each final numbered reply
	   answers the oldest command still open; one that comes when
	   none is open (the greeting) answers nothing. */
	if (dir == DT_S2C && t->pre.pending > 0 && final_reply(u, n)) {
		t->pre.pending--;
		if (t->pre.before > 0) {
			t->pre.before--;
			return;		/* an earlier command's answer */
		}
	}
	if (dir == DT_C2S) {
		const uint8_t *sp = memchr(u, ' ', n);

		if (line_is(u, n, "STARTTLS")) {
			asked(t, c, CMD_STARTTLS, frame);
		} else if (line_is(u, n, "STLS")) {
			asked(t, c, CMD_STLS, frame);
		} else if (line_is(u, n, "AUTH TLS") || line_is(u, n, "AUTH SSL") ||
		    line_is(u, n, "AUTH TLS-C") || line_is(u, n, "AUTH TLS-P")) {
			asked(t, c, CMD_AUTH, frame);
		} else if (sp != NULL && sp > u && (size_t)(sp - u) <
		    sizeof t->pre.tag && line_is(sp + 1,
		    n - (size_t)(sp - u) - 1, "STARTTLS")) {
			memcpy(t->pre.tag, u, (size_t)(sp - u));
			t->pre.tag[sp - u] = '\0';
			asked(t, c, CMD_IMAP, frame);
		}
		if (t->pre.pending < UINT8_MAX)	/* after asked(): the
						   commands before it */
			t->pre.pending++;
		return;
	}
	/* the server: only its answer to the request counts; multi-line
	   replies ("250-...") end with the line whose code has a space */
	switch (t->pre.cmd) {
	case CMD_STARTTLS:
		if (n > 0 && u[0] == ':') {	/* IRC: prefixed messages */
			int num = irc_numeric(u, n);

			if (num == 670)
				agreed(t, c, dir, DT_PRE_IRC, frame, time);
			else if (num == 691 || ((num == 421 || num == 451) &&
			    memmem(u, n, "STARTTLS", 8) != NULL))
				refused(t, c, frame, u, n);
			break;	/* notices and the rest: not the answer */
		}
		if (n >= 4 && u[3] == '-')
			return;
		if (line_starts(u, n, "220"))
			agreed(t, c, dir, DT_PRE_SMTP, frame, time);
		else if (line_starts(u, n, "382"))
			agreed(t, c, dir, DT_PRE_NNTP, frame, time);
		else if (line_is(u, n, "OK") || line_starts(u, n, "OK "))
			agreed(t, c, dir, DT_PRE_SIEVE, frame, time);
		else if (n >= 3 && u[0] >= '0' && u[0] <= '9')
			refused(t, c, frame, u, n);
		else if (line_starts(u, n, "NO") || line_starts(u, n, "BYE"))
			refused(t, c, frame, u, n);
		break;
	case CMD_STLS:
		if (line_starts(u, n, "+OK"))
			agreed(t, c, dir, DT_PRE_POP3, frame, time);
		else if (line_starts(u, n, "-ERR"))
			refused(t, c, frame, u, n);
		break;
	case CMD_AUTH:
		if (n >= 4 && u[3] == '-')
			return;
		if (line_starts(u, n, "234"))
			agreed(t, c, dir, DT_PRE_FTP, frame, time);
		else if (n >= 3 && u[0] >= '0' && u[0] <= '9')
			refused(t, c, frame, u, n);
		break;
	case CMD_IMAP: {
		size_t k = strlen(t->pre.tag);

		if (n <= k || memcmp(u, t->pre.tag, k) != 0 || u[k] != ' ')
			return;		/* untagged: not the answer */
		if (line_starts(u + k + 1, n - k - 1, "OK"))
			agreed(t, c, dir, DT_PRE_IMAP, frame, time);
		else
			refused(t, c, frame, u, n);
		break;
	}
	default:
		break;
	}
}

/* Does the element u (n bytes, up to '>') open the given tag? */
static int
xml_opens(const uint8_t *u, size_t n, const char *tag)
{
	size_t k = strlen(tag);

	while (n > 0 && *u != '<') {	/* whitespace between elements */
		u++;
		n--;
	}
	return n > k + 1 && memcmp(u + 1, tag, k) == 0 &&
	    (u[k + 1] == ' ' || u[k + 1] == '/' || u[k + 1] == '>');
}

static void
xml_step(struct dt_tls *t, struct dt_conn *c, int dir, const uint8_t *u,
    size_t n, uint64_t frame, int64_t time)
{
	if (dir == DT_C2S) {
		if (xml_opens(u, n, "starttls"))
			asked(t, c, CMD_XMPP, frame);
		return;
	}
	if (t->pre.cmd != CMD_XMPP)
		return;
	if (xml_opens(u, n, "proceed"))
		agreed(t, c, dir, DT_PRE_XMPP, frame, time);
	else if (xml_opens(u, n, "failure"))
		refused(t, c, frame, u, n);
}

/* The bytes of the OID LDAPString "1.3.6.1.4.1.1466.20037" in u. */
static int
has_starttls_oid(const uint8_t *u, size_t n)
{
	static const char oid[] = "1.3.6.1.4.1.1466.20037";
	size_t k = sizeof oid - 1, i;

	for (i = 0; i + k <= n; i++)
		if (memcmp(u + i, oid, k) == 0)
			return 1;
	return 0;
}

/* RFC 4511 4.12: LDAPMessage { messageID, extendedResp [APPLICATION 24]
   { resultCode ENUMERATED, ... } }: the result code, -1 when not one. */
static int
ldap_ext_result(const uint8_t *u, size_t n)
{
	struct rd r = rd_make(u, n);
	size_t k;

	(void)rd_u8(&r);		/* SEQUENCE, checked by unit_len */
	k = rd_u8(&r);
	if (k & 0x80)
		rd_skip(&r, k & 0x7F);
	if (rd_u8(&r) != 0x02)		/* messageID INTEGER */
		return -1;
	rd_skip(&r, rd_u8(&r));
	if (rd_u8(&r) != 0x78)		/* [APPLICATION 24] constructed */
		return -1;
	k = rd_u8(&r);
	if (k & 0x80)
		rd_skip(&r, k & 0x7F);
	if (rd_u8(&r) != 0x0A || rd_u8(&r) != 1)	/* ENUMERATED, 1 byte */
		return -1;
	k = rd_u8(&r);
	return rd_ok(&r) ? (int)k : -1;
}

static void
binary_step(struct dt_tls *t, struct dt_conn *c, int dir, const uint8_t *u,
    size_t n, uint64_t frame, int64_t time)
{
	static const uint8_t pg_ssl[8] = { 0, 0, 0, 8, 0x04, 0xD2, 0x16, 0x2F };

	switch (t->pre.family) {
	case F_PG:
		if (dir == DT_C2S) {
			if (n == 8 && memcmp(u, pg_ssl, 8) == 0)
				asked(t, c, CMD_NONE, frame);
			else
				t->pre.give_up = 1;	/* startup: no TLS */
		} else if (t->pre.asked) {
			if (u[0] == 'S')
				agreed(t, c, dir, DT_PRE_POSTGRES, frame, time);
			else if (u[0] == 'N') {	/* the server does no SSL */
				refused(t, c, frame, (const uint8_t *)"N", 1);
				t->pre.give_up = 1;
			} else
				t->pre.give_up = 1;
		} else {
			t->pre.give_up = 1;
		}
		break;
	case F_MYSQL:
		/* Protocol::SSLRequest: payload of 32 bytes whose capability
		   flags (little-endian) carry CLIENT_SSL 0x0800 */
		if (dir == DT_C2S && n == 4 + 32 && (u[4 + 1] & 0x08)) {
			asked(t, c, CMD_NONE, frame);
			agreed(t, c, dir, DT_PRE_MYSQL, frame, time);
			t->d[DT_S2C].state = D_START;
		}
		break;
	case F_SOCKS4:
		if (dir == DT_C2S) {
			if (u[1] == 1)
				asked(t, c, CMD_NONE, frame);
			else
				t->pre.give_up = 1;	/* BIND */
		} else if (t->pre.asked) {
			if (u[1] == 90)
				agreed(t, c, dir, DT_PRE_SOCKS4, frame, time);
			else
				t->pre.give_up = 1;
		}
		break;
	case F_SOCKS5:
		if (dir == DT_S2C && t->pre.step[dir] == 0) {
			t->pre.socks_method = u[1];
			if (u[1] == 0xFF)
				t->pre.give_up = 1;
		}
		if (dir == DT_S2C && t->pre.step[dir] == 1 &&
		    t->pre.socks_method == 2 && u[1] != 0)
			t->pre.give_up = 1;
		t->pre.step[dir]++;
		if (n >= 4 && u[0] == 5 && t->pre.step[dir] >=
		    (t->pre.socks_method == 2 ? 3 : 2)) {
			if (dir == DT_C2S && u[1] == 1)
				asked(t, c, CMD_NONE, frame);
			else if (dir == DT_S2C && t->pre.asked && u[1] == 0)
				agreed(t, c, dir, DT_PRE_SOCKS5, frame, time);
			else
				t->pre.give_up = 1;
		}
		break;
	case F_LDAP:
		if (dir == DT_C2S) {
			if (has_starttls_oid(u, n))
				asked(t, c, CMD_NONE, frame);
		} else if (t->pre.asked) {
			int rc = ldap_ext_result(u, n);

			char why[48];

			if (rc == 0)
				agreed(t, c, dir, DT_PRE_LDAP, frame, time);
			else if (rc > 0) {
				snprintf(why, sizeof why, "StartTLS resultCode %d",
				    rc);
				refused(t, c, frame, (const uint8_t *)why,
				    strlen(why));
			}
		}
		break;
	default:
		break;
	}
}

/* ---- the state ---------------------------------------------------------- */

/* While the unit's length is unknown, how many of the n bytes at p to
   gather at once: for a line or an element, up to the byte that ends it
   (or that is not text), which is where unit_len() would first answer;
   for a binary header, one at a time. */
/* Are the 8 bytes at p all printable ASCII (0x20 .. 0x7E)? Most of a
   line's are: asked a word at a time (a byte below 0x20 borrows, one
   above 0x7E sets its top bit or carries), where one byte at a time was
   1.5 M instructions of the 100 MB day's HTTP heads. */
static inline int
printable8(const uint8_t *p)
{
	const uint64_t ones = 0x0101010101010101ULL, tops = ones << 7;
	uint64_t x;

	memcpy(&x, p, sizeof x);
	return (((x - 0x20 * ones) & ~x) | ((x + ones) | x)) & tops ? 0 : 1;
}

static size_t
unknown_take(const struct dt_tls *t, const uint8_t *p, size_t n)
{
	const uint8_t *e;
	size_t i, end;

	switch (t->pre.family) {
	case F_TEXT:
		i = 0;
		while (n - i >= 8) {
			if (printable8(p + i)) {
				i += 8;
				continue;
			}
			for (end = i + 8; i < end; i++)	/* CR, TAB, LF, ... */
				if (dt_tls_text_byte[p[i]] != 1)
					return i + 1;
		}
		for (; i < n; i++)
			if (dt_tls_text_byte[p[i]] != 1) /* LF, not text */
				return i + 1;
		return n;
	case F_XML:
		e = memchr(p, '>', n);
		return e != NULL ? (size_t)(e - p) + 1 : n;
	default:
		return 1;
	}
}

/* unit_len() of a text unit of len bytes whose last one is `last`, the
   others text but no LF. */
static long
line_end(uint8_t last, size_t len)
{
	switch (dt_tls_text_byte[last]) {
	case 0:
		return -1;
	case 1:
		return 0;
	default:
		return (long)len;
	}
}

void
dt_tls_preamble(struct dt_tls *t, struct dt_conn *c, int dir,
    const uint8_t **p, size_t *n, uint64_t frame, int64_t time)
{
	struct tdir *d = &t->d[dir];
	long next = -2;		/* -2: unit_len() asked again */

	while (d->state == D_PRE) {
		long want;
		const struct fmark *fm;

		/* A line the segment holds whole, nothing gathered: read
		   where it lies (a server's greeting, which may become the
		   non-TLS fact, is gathered) */
		if (d->len == 0 && next == -2 && t->pre.family == F_TEXT &&
		    *n > 0 && !t->pre.give_up &&
		    t->pre.bytes[dir] <= PRE_TOTAL &&
		    !(dir == DT_S2C && t->pre.greeting == 1)) {
			size_t k = unknown_take(t, *p, *n);

			if ((*p)[k - 1] == '\n' && k <= PRE_UNIT) {
				const uint8_t *u = *p;

				*p += k;
				*n -= k;
				t->pre.bytes[dir] += k;
				text_step(t, c, dir, u, k, frame, time);
				continue;
			}
		}
		want = next != -2 ? next : unit_len(t, dir, d->buf, d->len);
		next = -2;

		if (want < 0 || want > PRE_UNIT || t->pre.give_up ||
		    t->pre.bytes[dir] > PRE_TOTAL) {
			dt_tls_pre_end(t, c, dir);
			unit_reset(d);
			stop(d);
			return;
		}
		if (want == 0 || d->len < (size_t)want) {
			size_t more = want == 0 ?
			    d->len + unknown_take(t, *p, *n) : (size_t)want;

			if (*n == 0 || !dt_tls_take(t, d, p, n, more, frame,
			    time))
				return;
			/* a line's bytes were all text but the last one taken
			   (unknown_take()): that one says what unit_len()
			   would, without reading the line again */
			if (want == 0 && t->pre.family == F_TEXT)
				next = line_end(d->buf[d->len - 1], d->len);
			continue;
		}
		if (dir == DT_S2C && t->pre.greeting == 1) {
			dt_tls_nontls_fact(t, c, dir);
			t->pre.greeting = 2;
		}
		/* like a record, the unit belongs to the frame completing it */
		fm = fmap_at(&d->bmap, (uint64_t)want - 1);
		t->pre.bytes[dir] += (size_t)want;
		if (t->pre.family == F_TEXT)
			text_step(t, c, dir, d->buf, (size_t)want, fm->frame,
			    fm->time);
		else if (t->pre.family == F_XML)
			xml_step(t, c, dir, d->buf, (size_t)want, fm->frame,
			    fm->time);
		else
			binary_step(t, c, dir, d->buf, (size_t)want, fm->frame,
			    fm->time);
		dt_tls_consume(d, (size_t)want);
	}
}

void
dt_tls_pre_end(struct dt_tls *t, struct dt_conn *c, int dir)
{
	if (dir == DT_S2C && t->pre.greeting == 1 && t->d[dir].len > 0) {
		dt_tls_nontls_fact(t, c, dir);
		t->pre.greeting = 2;
	}
}
