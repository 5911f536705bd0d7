/*
 * handshake-ok: the TLS handshake completed. Wire shape (RFC 5246 7.3):
 * ClientHello, ServerHello ... ServerHelloDone, the client's
 * ChangeCipherSpec + Finished, the server's ChangeCipherSpec + Finished;
 * TLS 1.3 (RFC 8446 2): ServerHello, then the encrypted flight and
 * application data both ways. A completed handshake rules out every TLS
 * cause of the IP-HTTPS errors in the research note §1.2; if the tunnel
 * still fails, the reason is above TLS (the HTTP exchange, wrong-server) or
 * outside the capture.
 */
#include "rules/rules.h"
#include "tls/tls.h"

static void
check(struct dt_rule_ctx *ctx, struct dt_conn *c)
{
	const struct dt_tls_facts *t = c->tls;
	char sum[DT_RULE_TEXT], expl[DT_RULE_TEXT];
	struct dt_text s, e;
	uint64_t fr[4];
	uint64_t last;

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
	dt_text_init(&s, sum, sizeof sum);
	dt_text_version(&s, t->version);
	dt_text_put(&s, " handshake with ");
	dt_text_put(&s, c->server_str);
	dt_text_put(&s, " completed with ");
	dt_text_suite(&s, t->suite);
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
	dt_verdict_add(ctx, &dt_rule_handshake_ok, c, DT_CONF_HIGH, 0, NULL,
	    fr, 4, sum, expl,
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
