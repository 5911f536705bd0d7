/*
 * x509/validity: notBefore / notAfter read from the DER by hand (RFC 5280
 * 4.1.2.5), because GnuTLS 3.7 returns 0 for dates before 1970 and time_t
 * limits the rest; validity at the capture time is the rules' business.
 */
#include "x509/x509_int.h"

#include "util/rd.h"

/* One DER TLV with a low tag number and a definite length of <= 4 bytes. */
static int
der_tlv(struct rd *r, uint8_t *tag, struct rd *val)
{
	uint8_t t = rd_u8(r), l = rd_u8(r);
	size_t len = l;

	if (!rd_ok(r) || (t & 0x1f) == 0x1f)
		return 0;
	if (l & 0x80) {
		unsigned k = l & 0x7f;

		if (k == 0 || k > 4)
			return 0;
		len = 0;
		while (k-- > 0)
			len = len << 8 | rd_u8(r);
	}
	*tag = t;
	*val = rd_sub(r, len);
	return rd_ok(r);
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant's
   days_from_civil). */
static int64_t
days_from_civil(int64_t y, unsigned mo, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= mo <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int
digits(struct rd *r, unsigned k, unsigned *out)
{
	unsigned v = 0;

	while (k-- > 0) {
		uint8_t c = rd_u8(r);

		if (!rd_ok(r) || c < '0' || c > '9')
			return 0;
		v = v * 10 + (unsigned)(c - '0');
	}
	*out = v;
	return 1;
}

/* UTCTime YYMMDDHHMMSSZ (YY < 50: 20YY) or GeneralizedTime
   YYYYMMDDHHMMSSZ, as RFC 5280 requires them. */
static int
der_time(uint8_t tag, struct rd v, int64_t *out)
{
	unsigned y, mo, d, h, mi, s;

	if (tag == 0x17 && v.n == 13) {
		if (!digits(&v, 2, &y))
			return 0;
		y += y < 50 ? 2000 : 1900;
	} else if (tag == 0x18 && v.n == 15) {
		if (!digits(&v, 4, &y))
			return 0;
	} else {
		return 0;
	}
	if (!digits(&v, 2, &mo) || !digits(&v, 2, &d) || !digits(&v, 2, &h) ||
	    !digits(&v, 2, &mi) || !digits(&v, 2, &s) || rd_u8(&v) != 'Z' ||
	    !rd_ok(&v))
		return 0;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    s > 60)
		return 0;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
	return 1;
}

/* Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL,
   serialNumber, signature, issuer, validity SEQUENCE { notBefore, notAfter }
   ... } ... } */
int
dt_x509_der_validity(const uint8_t *der, size_t len, int64_t *nb, int64_t *na)
{
	struct rd r = rd_make(der, len), cert, tbs, v, t;
	uint8_t tag;
	int i;

	if (!der_tlv(&r, &tag, &cert) || tag != 0x30 ||
	    !der_tlv(&cert, &tag, &tbs) || tag != 0x30 ||
	    !der_tlv(&tbs, &tag, &v))
		return 0;
	if (tag == 0xa0 && !der_tlv(&tbs, &tag, &v))
		return 0;
	if (tag != 0x02)			/* serialNumber */
		return 0;
	for (i = 0; i < 2; i++)			/* signature, issuer */
		if (!der_tlv(&tbs, &tag, &v) || tag != 0x30)
			return 0;
	if (!der_tlv(&tbs, &tag, &v) || tag != 0x30)
		return 0;
	if (!der_tlv(&v, &tag, &t) || !der_time(tag, t, nb) ||
	    !der_tlv(&v, &tag, &t) || !der_time(tag, t, na))
		return 0;
	return 1;
}
