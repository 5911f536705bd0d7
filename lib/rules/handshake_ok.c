/*
 * handshake-ok: the TLS handshake completed. Wire shape (RFC 5246 7.3):
 * ClientHello, ServerHello ... ServerHelloDone, the client's
 * ChangeCipherSpec + Finished, the server's ChangeCipherSpec + Finished;
 * TLS 1.3 (RFC 8446 2): ServerHello, then the encrypted flight and
 * application data both ways. A completed handshake rules out every TLS
 * cause of the IP-HTTPS errors in the research note §1.2; if the tunnel
 * still fails, the reason is above TLS (the HTTP exchange, wrong-server) or
 * outside the capture.
 *
 * A session that a side then tears down with a fatal alert it sends in
 * the clear (a NULL-cipher session) is said, with the alert's frame: what
 * was agreed in the handshake did not last, and bad_record_mac,
 * unexpected_message and decode_error after a clean handshake mean the
 * stream itself went bad on the way (RFC 5246 7.2.2: a record that fails
 * its MAC; 7.2.2 and RFC 8446 6.2 for the other two).
 */
#include "rules/rules.h"
#include "tls/tls.h"

/* The fatal alert in the clear that ended the session after the
   handshake (its last frame `last`), or 0. */
static uint64_t
late_fatal(const struct dt_tls_facts *t, uint64_t last)
{
	return t->alert_frame > last && t->alert_level == 2 &&
	    !t->alert_encrypted ? t->alert_frame : 0;
}

/* The peer's FIN before the late alert (the alert then answers a TCP
   close without close_notify), or 0. */
static uint64_t
peer_closed(const struct dt_conn *c, uint64_t alert)
{
	uint64_t fin = c->fin_frame[c->tls->alert_dir == DT_C2S ? DT_S2C :
	    DT_C2S];

	return fin != 0 && fin < alert ? fin : 0;
}

/* What a fatal alert after a clean handshake says about the path: the
   stream changed on the way; NULL for the alerts that do not say so. */
static const char *
path_meaning(uint8_t desc)
{
	switch (desc) {
	case 20:	/* bad_record_mac */
		return "a record failed its integrity check, so its bytes "
		    "changed on the way. A NULL-cipher session can be read, "
		    "and a device that rewrites it (an IPS, a WAN optimiser, "
		    "a proxy) breaks the MAC; a network card's offload can "
		    "damage it too";
	case 10:	/* unexpected_message */
	case 50:	/* decode_error */
		return "the side received bytes that were not the TLS it "
		    "expected: something other than the peer wrote into "
		    "the stream (a firewall's or proxy's own reply), or a "
		    "stack broke the protocol";
	default:
		return NULL;
	}
}

/* The explanation's last sentence: the fatal alert at frame `late`, and
   the peer's FIN before it (`closed`, 0: none) or what it says of the
   path (`path`, NULL: nothing). */
static void
late_text(struct dt_text *e, const struct dt_conn *c, uint64_t late,
    uint64_t closed, const char *path)
{
	const struct dt_tls_facts *t = c->tls;
	const char *peer = t->alert_dir == DT_C2S ? "server" : "client";
	char al[64];

	dt_text_put(e, " The session then ended with a fatal ");
	dt_text_put(e, dt_tls_alert_str(t->alert_desc, al, sizeof al));
	dt_text_put(e, t->alert_dir == DT_C2S ? " alert from the "
	    "client (frame " : " alert from the server (frame ");
	dt_text_u64(e, late);
	dt_text_put(e, "): ");
	if (closed != 0) {
		dt_text_put(e, "the ");
		dt_text_put(e, peer);
		dt_text_put(e, " had closed its side of the TCP "
		    "connection (frame ");
		dt_text_u64(e, closed);
		dt_text_put(e, ") without a close_notify alert, and "
		    "the alert answers that cut");
		if (t->alert_desc == 50)
			dt_text_put(e, " (OpenSSL 3 answers it with "
			    "decode_error)");
		dt_text_put(e, ": the ");
		dt_text_put(e, peer);
		dt_text_put(e, " ended the session, not the path");
	} else
		dt_text_put(e, path != NULL ? path : "the alert names the "
		    "reason the side gave up the session");
	dt_text_put(e, ".");
}

static void
check(struct dt_rule_ctx *ctx, struct dt_conn *c)
{
	const struct dt_tls_facts *t = c->tls;
	char sum[DT_RULE_TEXT], expl[DT_RULE_TEXT];
	struct dt_text s, e;
	uint64_t fr[5];
	uint64_t last, late, closed = 0;
	const char *path = NULL;

	if (!dt_rule_hs_complete(c))
		return;
	if (t->finished_frame[DT_S2C] != 0)
		last = t->finished_frame[DT_S2C];
	else if (t->appdata_frame[DT_S2C] != 0)
		last = t->appdata_frame[DT_S2C];
	else
		last = t->appdata_frame[DT_C2S];
	fr[0] = t->ch_frame;
	fr[1] = t->sh_frame;
	fr[2] = t->finished_frame[DT_C2S];
	fr[3] = last;
	late = late_fatal(t, last);
	fr[4] = late;
	if (late != 0 && (closed = peer_closed(c, late)) == 0)
		path = path_meaning(t->alert_desc);
	dt_text_init(&s, sum, sizeof sum);
	dt_text_version(ctx, &s, t->version);
	dt_text_put(&s, " handshake with ");
	dt_text_put(&s, c->server_str);
	dt_text_put(&s, " completed with ");
	dt_text_suite(ctx, &s, t->suite);
	dt_text_put(&s, " (ClientHello frame ");
	dt_text_u64(&s, t->ch_frame);
	dt_text_put(&s, ", ServerHello frame ");
	dt_text_u64(&s, t->sh_frame);
	/* the frame that shows the end: its clause was cut at 127 bytes,
	   which none of the three reaches (a frame is 20 digits at most) */
	if (t->finished_frame[DT_S2C] != 0)
		dt_text_put(&s, ", server's Finished frame ");
	else if (t->appdata_frame[DT_S2C] != 0)
		dt_text_put(&s, ", server's application data frame ");
	else
		dt_text_put(&s, ", client's application data frame ");
	dt_text_u64(&s, last);
	if (t->finished_frame[DT_S2C] == 0 && t->appdata_frame[DT_S2C] == 0)
		dt_text_put(&s, "; the server's Finished was not captured");
	dt_text_put(&s, t->resumed ? "), session resumed" : ")");
	dt_text_init(&e, expl, sizeof expl);
	dt_text_put(&e, t->finished_frame[DT_S2C] != 0 &&
	    t->finished_frame[DT_C2S] != 0 ? "Both sides finished the TLS "
	    "handshake" : "The handshake went far enough for application data "
	    "to flow");
	dt_text_put(&e, ", so the two sides agreed on the cipher suite");
	dt_text_put(&e, dt_tls_rare(t)->cert_request_frame == 0 ? "" :
	    t->client_cert == DT_CCERT_PRESENT ? ", the server accepted the "
	    "client's certificate" : ", the server went on without a client "
	    "certificate");
	dt_text_put(&e, " and neither refused the other during TLS. A client "
	    "that checks the server's certificate only afterwards may still "
	    "drop the session over it (any certificate verdict on this "
	    "connection says why). If IP-HTTPS still does not come up, the "
	    "cause is in the HTTP exchange inside the tunnel or beyond this "
	    "capture.");
	if (late != 0)
		late_text(&e, c, late, closed, path);
	dt_verdict_add(ctx, &dt_rule_handshake_ok, c, DT_CONF_HIGH, 0, NULL,
	    fr, late != 0 ? 5 : 4, sum, expl, path != NULL ?
	    "Nothing to change in the handshake. Find what alters the session "
	    "on the way: exempt the IP-HTTPS server from TLS inspection, "
	    "intrusion prevention and WAN optimisation on the path, and "
	    "capture on both sides of such a device to see where the bytes "
	    "change." :
	    "Nothing to change at the TLS layer; if the tunnel still fails, "
	    "check the IP-HTTPS HTTP reply (200 OK from Microsoft-HTTPAPI/2.0) "
	    "and Get-NetIPHttpsState on the client.");
}

const struct dt_rule dt_rule_handshake_ok = {
	.id = "handshake-ok",
	.severity = DT_SEV_INFO,
	.summary = "the TLS handshake completed",
	.check_conn = check,
};
