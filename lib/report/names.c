/*
 * Names and formats shared by the JSON and text writers and by the public
 * accessors: TCP states, timeline event types (the TLS handshake types of
 * RFC 5246 7.4 and RFC 8446 4, as registered by IANA), RFC 3339
 * timestamps, and connection strings.
 */
#include "report/report.h"

#include <inttypes.h>
#include <string.h>

#include "report/digits.h"
#include "tls/tls.h"
#include "util/rd.h"

struct name {
	int value;
	const char *name;
};

static const char *
lookup(const struct name *t, size_t n, int value, const char *dflt)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].value == value)
			return t[i].name;
	return dflt;
}

#define LOOKUP(t, v, d) lookup((t), sizeof(t) / sizeof((t)[0]), (v), (d))

static const struct name state_names[] = {
	{ DT_TCP_NO_ANSWER, "no-answer" },
	{ DT_TCP_REFUSED, "refused" },
	{ DT_TCP_ESTABLISHED, "established" },
	{ DT_TCP_RESET, "reset" },
	{ DT_TCP_CLOSED, "closed" },
	{ DT_TCP_OPEN, "open" },
};

const char *
dt_report_state_name(enum dt_tcp_state s)
{
	return LOOKUP(state_names, (int)s, "unknown");
}

static const struct name client_cert_names[] = {
	{ DT_CCERT_NONE, "none" },
	{ DT_CCERT_EMPTY, "empty" },
	{ DT_CCERT_PRESENT, "present" },
};

const char *
dt_report_client_cert_name(enum dt_client_cert cc)
{
	return LOOKUP(client_cert_names, (int)cc, "none");
}

static const struct name chain_names[] = {
	{ DT_CHAIN_UNCHECKED, "unchecked" },
	{ DT_CHAIN_OK, "ok" },
	{ DT_CHAIN_UNTRUSTED, "untrusted" },
	{ DT_CHAIN_BAD, "bad" },
};

const char *
dt_report_chain_name(enum dt_chain ch)
{
	return LOOKUP(chain_names, (int)ch, "unchecked");
}

const char *
dt_report_dir_name(int dir)
{
	return dir == DT_S2C ? "server" : "client";
}

/*
 * Event names, found by index rather than by a search (a JSON document
 * names every event of every connection, twice for TLS ones), each with
 * its length and its bytes padded with NULs to DT_REPORT_NAME_PAD, so a
 * writer copies one with a fixed-size copy and no strlen().
 */
#define NM(s)	{ s, sizeof(char[sizeof s <= DT_REPORT_NAME_PAD ? \
	sizeof s : -1]) - 1 }

/* IANA TLS HandshakeType registry: dt_report_hs_names[i - 1] for
   i = dt_report_hs_index[type] (0: not registered). */
const struct dt_report_name dt_report_hs_names[] = {
	NM("hello_request"),		/* 0 */
	NM("client_hello"),		/* 1 */
	NM("server_hello"),		/* 2 */
	NM("hello_verify_request"),	/* 3 */
	NM("new_session_ticket"),	/* 4 */
	NM("end_of_early_data"),	/* 5 */
	NM("hello_retry_request"),	/* 6 */
	NM("encrypted_extensions"),	/* 8 */
	NM("certificate"),		/* 11 */
	NM("server_key_exchange"),	/* 12 */
	NM("certificate_request"),	/* 13 */
	NM("server_hello_done"),	/* 14 */
	NM("certificate_verify"),	/* 15 */
	NM("client_key_exchange"),	/* 16 */
	NM("finished"),			/* 20 */
	NM("certificate_url"),		/* 21 */
	NM("certificate_status"),	/* 22 */
	NM("supplemental_data"),	/* 23 */
	NM("key_update"),		/* 24 */
	NM("compressed_certificate"),	/* 25 */
	NM("message_hash"),		/* 254 */
};

const uint8_t dt_report_hs_index[256] = {
	[0] = 1, [1] = 2, [2] = 3, [3] = 4, [4] = 5, [5] = 6, [6] = 7,
	[8] = 8, [11] = 9, [12] = 10, [13] = 11, [14] = 12, [15] = 13,
	[16] = 14, [20] = 15, [21] = 16, [22] = 17, [23] = 18, [24] = 19,
	[25] = 20, [254] = 21,
};

/* By enum dt_ev_type (a 6-bit field): an empty name is "unknown". */
const struct dt_report_name dt_report_ev_names[64] = {
	[DT_EV_SYN] = NM("syn"),
	[DT_EV_SYNACK] = NM("syn_ack"),
	[DT_EV_RST] = NM("rst"),
	[DT_EV_FIN] = NM("fin"),
	[DT_EV_RETRANS] = NM("retransmission"),
	[DT_EV_ZERO_WINDOW] = NM("zero_window"),
	[DT_EV_KEEPALIVE] = NM("keepalive"),
	[DT_EV_GAP] = NM("gap"),
	[DT_EV_END_OPEN] = NM("end_open"),
	[DT_EV_TLS_HANDSHAKE] = NM("handshake"),
	[DT_EV_TLS_CCS] = NM("change_cipher_spec"),
	[DT_EV_TLS_ALERT] = NM("alert"),
	[DT_EV_TLS_APPDATA] = NM("application_data"),
	[DT_EV_TLS_ENCRYPTED] = NM("encrypted_handshake"),
	[DT_EV_TLS_MALFORMED] = NM("malformed"),
	[DT_EV_NON_TLS] = NM("non_tls"),
	[DT_EV_HTTP_REQUEST] = NM("http_request"),
	[DT_EV_HTTP_RESPONSE] = NM("http_response"),
	[DT_EV_SSLV2_HELLO] = NM("sslv2_client_hello"),
	[DT_EV_DROPPED] = NM("dropped"),
	[DT_EV_TLS_UPGRADE] = NM("upgrade"),
	[DT_EV_TLS_RECORD] = NM("record"),
	[DT_EV_TLS_RESYNC] = NM("resync"),
	[DT_EV_OUT_OF_WINDOW] = NM("out_of_window_ack"),
	[DT_EV_ZERO_WINDOW_PROBE] = NM("zero_window_probe"),
};

static const struct dt_report_name unknown_name = NM("unknown");
static const struct dt_report_name hrr_name = NM("hello_retry_request");
static const struct dt_report_name sslv2_sh_name = NM("sslv2_server_hello");
static const struct dt_report_name sslv2_cmk_name =
    NM("sslv2_client_master_key");
static const struct dt_report_name heartbeat_name = NM("heartbeat");

/* What dt_report_msg_nm() (report.h) does off its quick path: the
   names a type's own does not give, and types that have none. */
const struct dt_report_name *
dt_report_msg_nm_rare(const struct dt_event *ev)
{
	switch (ev->type) {
	case DT_EV_TLS_HANDSHAKE:
		if (dt_ev_hs_hrr(ev))
			return &hrr_name;
		break;
	case DT_EV_SSLV2_HELLO:
		if (ev->a == DT_SSLV2_SERVER_HELLO)
			return &sslv2_sh_name;
		if (ev->a == DT_SSLV2_CLIENT_MASTER_KEY)
			return &sslv2_cmk_name;
		break;
	case DT_EV_TLS_RECORD:
		if (ev->a == 24)
			return &heartbeat_name;
		break;
	default:
		break;
	}
	return dt_report_ev_names[ev->type].n != 0 ?
	    &dt_report_ev_names[ev->type] : &unknown_name;
}

const char *
dt_report_msg_name(const struct dt_event *ev)
{
	return dt_report_msg_nm(ev)->s;
}

/* ---- time ------------------------------------------------------------------ */

/* v in n digits, zero-padded; the end. Two digits a division: a JSON
   document has a time (its 9 digits of nanoseconds) on every event. */
static char *
put_digits(char *p, unsigned long v, int n)
{
	static const char pairs[] =
	    "00010203040506070809101112131415161718192021222324252627282930"
	    "31323334353637383940414243444546474849505152535455565758596061"
	    "62636465666768697071727374757677787980818283848586878889909192"
	    "93949596979899";
	int i = n;

	while (i >= 2) {
		i -= 2;
		memcpy(p + i, pairs + 2 * (v % 100), 2);
		v /= 100;
	}
	if (i == 1)
		p[0] = (char)('0' + v % 10);
	return p + n;
}

/*
 * The proleptic Gregorian date of a count of days from 1970-01-01, as
 * gmtime() has it (H. Hinnant's civil_from_days). Done here rather than by
 * gmtime_r() and snprintf(): every event of every connection has a time in
 * the JSON, and those two were a quarter of its writing.
 */
static void
civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);		/* [0, 146096] */
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;			/* March = 0 */

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* "YYYY-MM-DDTHH:MM:SS[.nnnnnnnnn]Z" (RFC 3339, UTC), years 0000..9999. */
static int
format_time(int64_t sec, long nsec, char *buf, size_t len)
{
	int64_t days = sec / 86400, rem = sec % 86400, y;
	unsigned m, d;
	char t[32], *p = t;
	size_t n;

	if (len > 0)
		buf[0] = '\0';
	if (rem < 0) {		/* before 1970: floor, not truncation */
		rem += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999)
		return -1;
	p = put_digits(p, (unsigned long)y, 4);
	*p++ = '-';
	p = put_digits(p, m, 2);
	*p++ = '-';
	p = put_digits(p, d, 2);
	*p++ = 'T';
	p = put_digits(p, (unsigned long)(rem / 3600), 2);
	*p++ = ':';
	p = put_digits(p, (unsigned long)(rem / 60 % 60), 2);
	*p++ = ':';
	p = put_digits(p, (unsigned long)(rem % 60), 2);
	if (nsec != 0) {
		*p++ = '.';
		p = put_digits(p, (unsigned long)nsec, 9);
	}
	*p++ = 'Z';
	n = (size_t)(p - t);
	if (len > 0) {		/* cut to len, as snprintf() did */
		if (n > len - 1)
			n = len - 1;
		memcpy(buf, t, n);
		buf[n] = '\0';
	}
	return 0;
}

/*
 * The same text through a clock that keeps the text of the last second it
 * wrote: a document's times come many a second (the events of one
 * connection), so the clock runs once a second of capture instead of once
 * a time, the calendar once a day; what is left is the nanoseconds.
 */
size_t
dt_report_clock_time(struct dt_report_clock *k, int64_t ns,
    char buf[DT_REPORT_TIME_LEN])
{
	int64_t sec = ns / 1000000000, frac = ns % 1000000000;
	int64_t days, rem, y;
	unsigned m, d;
	char *p;

	if (frac < 0) {		/* before 1970: floor, not truncation */
		frac += 1000000000;
		sec--;
	}
	if (!k->set || sec != k->sec) {
		days = sec / 86400;
		rem = sec % 86400;
		if (rem < 0) {
			rem += 86400;
			days--;
		}
		if (!k->set || days != k->day) {
			civil_from_days(days, &y, &m, &d);
			k->day = days;
			k->in_range = y >= 0 && y <= 9999;
			if (k->in_range) {
				p = put_digits(k->text, (unsigned long)y, 4);
				*p++ = '-';
				p = put_digits(p, m, 2);
				*p++ = '-';
				p = put_digits(p, d, 2);
				*p = 'T';
			}
		}
		k->set = 1;
		k->sec = sec;
		if (k->in_range) {
			p = put_digits(k->text + 11, (unsigned long)(rem / 3600),
			    2);
			*p++ = ':';
			p = put_digits(p, (unsigned long)(rem / 60 % 60), 2);
			*p++ = ':';
			put_digits(p, (unsigned long)(rem % 60), 2);
		}
	}
	if (!k->in_range)
		return 0;
	_Static_assert(sizeof k->text <= DT_REPORT_TIME_LEN, "one copy");
	memcpy(buf, k->text, sizeof k->text);	/* 19 bytes of it count */
	p = dt_dec_frac(buf + 19, (uint32_t)frac);
	*p++ = 'Z';
	return (size_t)(p - buf);
}

int
dt_report_time(int64_t ns, char *buf, size_t len)
{
	int64_t sec = ns / 1000000000, frac = ns % 1000000000;

	if (frac < 0) {		/* before 1970: floor, not truncation */
		frac += 1000000000;
		sec--;
	}
	return format_time(sec, (long)frac, buf, len);
}

int
dt_report_time_sec(int64_t sec, char *buf, size_t len)
{
	return format_time(sec, 0, buf, len);
}
