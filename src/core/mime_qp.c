/*
 * Quoted-printable body encoding, RFC 2045 §6.7 (declared in mime.h), and
 * the per-thread cache of encoded lines that makes it cheap for the
 * thousands of nearly identical messages of a send.
 *
 * The output is 7-bit, CRLF only, with encoded lines of at most 76
 * characters (rule 5), and the same bytes with or without the cache.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "core/mime.h"
#include "base/utf8.h"

#include <pthread.h>

static const char hex_digits[] = "0123456789ABCDEF";

/* Longest encoded line, not counting CRLF (rule 5). */
#define QP_LINE 76

static inline char *qp_escape(char *p, unsigned char c)
{
	*p++ = '=';
	*p++ = hex_digits[c >> 4];
	*p++ = hex_digits[c & 15];
	return p;
}

static inline int is_break(const char *in, size_t len, size_t i)
{
	return i >= len || in[i] == '\n' || in[i] == '\r';
}

void mime_qp_encode_uncached(const char *in, size_t len, struct strbuf *out)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, col = 0, worst;
	char *p, *line_start;

	/*
	 * Worst case: every byte escaped (3 characters; a line break is 1 or
	 * 2 bytes becoming 2), plus a soft break ("=" CRLF, 3 characters)
	 * after at least 62 output characters: under 4 per input byte.
	 */
	if (len > (SIZE_MAX - 64) / 4)
		BUG("qp input too large");
	worst = 4 * len + 16;
	strbuf_grow(out, worst);
	p = out->buf + out->len;
	line_start = p;

	while (i < len) {
		unsigned char c = s[i];
		char unit[12];
		size_t ulen, consumed, room;
		char *u = unit;

		/*
		 * Fast path, the bulk of any text: a run of characters that
		 * stand for themselves and fit on the line with room for a
		 * soft break.  It gives exactly what the general path below
		 * would, character by character.  Only the first can be at
		 * column 0, where '.' and 'F' need the general path.
		 */
		if (col < QP_LINE - 1 && (col > 0 || (c != '.' && c != 'F'))) {
			size_t k = i, stop = i + (QP_LINE - 1 - col);

			if (stop > len)
				stop = len;
			while (k < stop) {
				unsigned char d = s[k];

				if (!((d > 0x20 && d < 0x7f && d != '=') ||
				      (d == ' ' && !is_break(in, len, k + 1))))
					break;
				k++;
			}
			if (k > i) {
				memcpy(p, s + i, k - i);
				p += k - i;
				col += k - i;
				i = k;
				continue;
			}
		}

		/* Hard line break: LF, CRLF or a lone CR all become CRLF. */
		if (c == '\n' || c == '\r') {
			*p++ = '\r';
			*p++ = '\n';
			i += (c == '\r' && i + 1 < len && s[i + 1] == '\n') ? 2 : 1;
			col = 0;
			line_start = p;
			continue;
		}
	again:
		u = unit;
		consumed = 1;
		if (c >= 0x80) {
			/*
			 * A whole UTF-8 sequence is one unit so a soft break never
			 * splits it; mail readers that decode line by line would
			 * otherwise show replacement characters.
			 */
			size_t l = utf8_seq_len((const char *)s + i, len - i), k;

			if (!l)
				l = 1;
			for (k = 0; k < l; k++)
				u = qp_escape(u, s[i + k]);
			consumed = l;
		} else if (c == ' ' || c == '\t') {
			/*
			 * Rule 3: whitespace before a line break (or the end of
			 * the part, which the delimiter's CRLF follows) must be
			 * encoded, once: libetpan's encoder doubles it.
			 */
			if (is_break(in, len, i + 1))
				u = qp_escape(u, c);
			else
				*u++ = (char)c;
		} else if (c == '=' || c < 0x20 || c == 0x7f) {
			u = qp_escape(u, c);
		} else if (col == 0 && (c == '.' ||
			   (c == 'F' && len - i >= 5 && memcmp(s + i, "From ", 5) == 0))) {
			/*
			 * A '.' alone on a line ends SMTP DATA, and "From " at the
			 * start of a line is mangled by mbox writers (RFC 2045 §6.7
			 * note 8); encoding them keeps the round trip exact.
			 */
			u = qp_escape(u, c);
		} else {
			*u++ = (char)c;
		}
		ulen = (size_t)(u - unit);

		/*
		 * Fit the unit on this line.  The last unit before a hard break
		 * may use all 76 columns; any other leaves room for the "=" of a
		 * soft break.
		 */
		room = is_break(in, len, i + consumed) ? QP_LINE : QP_LINE - 1;
		if (col + ulen > room && col > 0) {
			/*
			 * Keep whitespace from ending up right before the soft
			 * break, where a decoder that strips trailing blanks
			 * before "=" would lose it: carry it to the next line.
			 */
			char carried = 0;

			if (p > line_start && (p[-1] == ' ' || p[-1] == '\t')) {
				carried = p[-1];
				p--;
			}
			*p++ = '=';
			*p++ = '\r';
			*p++ = '\n';
			line_start = p;
			col = 0;
			if (carried) {
				*p++ = carried;
				col = 1;
			} else {
				/* Re-evaluate: the '.'/"From " rule depends on column 0. */
				goto again;
			}
		}
		for (u = unit; u < unit + ulen; u++)
			*p++ = *u;
		col += ulen;
		i += consumed;
	}
	out->len = (size_t)(p - out->buf);
	out->buf[out->len] = '\0';
}

/*
 * The line cache.  A newsletter send builds the same ~20 KB body for every
 * recipient with a few personal lines (greeting, unsubscribe link), and
 * mime_qp_encode_uncached() was most of the CPU of building a message.
 * mime_qp_encode() cuts its input into hard lines and copies the encoding
 * of a line this thread has already encoded instead of encoding it again.
 *
 * Why that gives the same bytes: the encoder's output for a hard line (the
 * bytes between two line breaks — LF, CRLF or a lone CR — or between a
 * break and the start or end of the input) depends on that line's bytes
 * alone.  The column and the line start (for carried whitespace) reset at
 * every hard break; the trailing-whitespace rule and the "last unit may
 * use column 76" rule look one byte ahead only to see whether a break or
 * the end of the input comes next, and both count alike; the "From " test
 * and a UTF-8 sequence cannot run into the next line because neither
 * accepts a CR or LF byte.  So the encoding of the input is the encodings
 * of its lines, each break becoming CRLF, and the uncached encoder's output
 * for a run of whole lines with their breaks is that run's share.  A line
 * at the end of the input with no break after it is encoded as if a break
 * followed, so it shares its entry with the same line elsewhere.  A hit is
 * verified with the length and memcmp of the input bytes, never trusted to
 * the hash alone.
 *
 * Shape: per thread (_Thread_local, no locks: send's workers encode at
 * once), QP_CACHE_SETS sets of QP_CACHE_WAYS entries, the set chosen by a
 * 64-bit hash of the line; a set's hashes share one cache line.  Lines
 * shorter than QP_CACHE_MIN_LINE are not worth a look-up and lines longer
 * than QP_CACHE_MAX_LINE are not cached; they, and lines not found, go to
 * the uncached encoder in runs: one call for all the lines between two
 * lines written from the cache.
 *
 * Replacement: each call of mime_qp_encode() is a tick (a message is two:
 * text and HTML).  A line's first sight stores only its hash and length (a
 * "ghost", no bytes); its second sight stores its input and output.  A
 * personal line is seen once, so it costs no memory.  An entry is replaced
 * only when empty, or a ghost older than QP_CACHE_GHOST_FRESH ticks, or a
 * stored line not hit for QP_CACHE_FRESH ticks — the oldest of these first.
 * So the lines every message shares, hit at every message, are never
 * pushed out by personal lines, and a ghost lives long enough to be seen
 * again by the next message.  A line whose set is full of lines in use is
 * simply encoded every time.
 *
 * Memory: the entry table (QP_CACHE_SETS * QP_CACHE_WAYS entries, 32 KB) is
 * allocated at a thread's first cacheable line; the stored bytes never
 * exceed QP_CACHE_BYTES (256 KB) per thread: when a line would pass it,
 * every stale line is freed (at most once a tick), and if it still would,
 * the line is not stored.  Nothing grows with the number of messages.  A
 * thread's cache is freed when it exits (a pthread key's destructor); the
 * main thread's stays reachable from its thread-local pointer until the
 * process exits.
 */
#define QP_CACHE_MIN_LINE 16		/* 8 to 48 measured alike; 1 was 5 % slower */
#define QP_CACHE_MAX_LINE 2048
#define QP_CACHE_SETS 128		/* a power of two */
#define QP_CACHE_WAYS 8
#define QP_CACHE_BYTES (256 * 1024)
#define QP_CACHE_FRESH 16		/* ticks a hit keeps a stored line */
#define QP_CACHE_GHOST_FRESH 4		/* ticks a ghost is kept */

struct qp_entry {
	uint32_t in_len, out_len;
	uint32_t used;			/* tick of the last sight (ghost) or hit */
	char *data;			/* in_len input bytes then out_len output bytes;
					   NULL for a ghost */
};

struct qp_set {
	uint64_t hash[QP_CACHE_WAYS];	/* 0: empty */
	struct qp_entry e[QP_CACHE_WAYS];
};

struct qp_cache {
	struct qp_set set[QP_CACHE_SETS];
	size_t bytes;			/* stored: the sum of in_len + out_len */
	size_t hits;
	uint32_t tick, swept;
};

static _Thread_local struct qp_cache *qp_cache_tls;
static pthread_key_t qp_cache_key;
static pthread_once_t qp_cache_once = PTHREAD_ONCE_INIT;
static int qp_cache_key_ok;

static void qp_cache_free(void *arg)
{
	struct qp_cache *c = arg;
	size_t i;
	int w;

	for (i = 0; i < QP_CACHE_SETS; i++)
		for (w = 0; w < QP_CACHE_WAYS; w++)
			free(c->set[i].e[w].data);
	free(c);
	qp_cache_tls = NULL;
}

static void qp_cache_key_create(void)
{
	qp_cache_key_ok = pthread_key_create(&qp_cache_key, qp_cache_free) == 0;
}

/* The calling thread's cache, made on first use; NULL if it cannot be. */
static struct qp_cache *qp_cache_get(void)
{
	struct qp_cache *c = qp_cache_tls;

	if (c)
		return c;
	pthread_once(&qp_cache_once, qp_cache_key_create);
	if (!qp_cache_key_ok)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	if (pthread_setspecific(qp_cache_key, c) != 0) {
		free(c);
		return NULL;
	}
	return qp_cache_tls = c;
}

void mime_qp_cache_stats(size_t *hits, size_t *bytes)
{
	*hits = qp_cache_tls ? qp_cache_tls->hits : 0;
	*bytes = qp_cache_tls ? qp_cache_tls->bytes : 0;
}

/*
 * 64-bit hash of a line, 16 bytes a step: each step's two words are
 * multiplied into a 128-bit product folded to 64 bits, so the steps do not
 * wait for each other's multiply, only for a rotate and an xor.
 */
#define QP_K1 0x9E3779B97F4A7C15ull
#define QP_K2 0xC2B2AE3D27D4EB4Full

static inline uint64_t qp_load64(const char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static inline uint64_t qp_mix(uint64_t a, uint64_t b)
{
#ifdef __SIZEOF_INT128__
	__extension__ unsigned __int128 m = (unsigned __int128)a * b;

	return (uint64_t)m ^ (uint64_t)(m >> 64);
#else
	uint64_t m = a * b;

	return m ^ (m >> 29) ^ ((a >> 32) * (b >> 32));
#endif
}

static uint64_t qp_hash(const char *s, size_t n)
{
	uint64_t h = (uint64_t)n * QP_K2;
	size_t i;

	for (i = 0; i + 16 < n; i += 16)
		h = ((h << 23) | (h >> 41)) ^ qp_mix(qp_load64(s + i) ^ QP_K1, qp_load64(s + i + 8) ^ QP_K2);
	/* The last 16 bytes, overlapping the previous step (n is in h). */
	if (n >= 16) {
		s += n - 16;
		h = ((h << 23) | (h >> 41)) ^ qp_mix(qp_load64(s) ^ QP_K1, qp_load64(s + 8) ^ QP_K2);
	} else {
		char tail[16] = { 0 };

		memcpy(tail, s, n);
		h = ((h << 23) | (h >> 41)) ^ qp_mix(qp_load64(tail) ^ QP_K1, qp_load64(tail + 8) ^ QP_K2);
	}
	/* splitmix64's finalizer: the set is chosen by the low bits */
	h ^= h >> 30;
	h *= 0xBF58476D1CE4E5B9ull;
	h ^= h >> 27;
	h *= 0x94D049BB133111EBull;
	h ^= h >> 31;
	return h ? h : 1;
}

static void qp_entry_drop(struct qp_cache *c, struct qp_entry *e)
{
	if (e->data) {
		c->bytes -= (size_t)e->in_len + e->out_len;
		free(e->data);
		e->data = NULL;
	}
}

enum qp_found { QP_MISS, QP_HIT, QP_STORE };

/*
 * Look the line up: QP_HIT with *found its entry; QP_STORE with *found the
 * ghost to store its encoding in (its second sight); or QP_MISS, after
 * recording it as a ghost if an entry of its set may be replaced.
 */
static enum qp_found qp_lookup(struct qp_cache *c, uint64_t h, const char *s, size_t n,
			       struct qp_entry **found)
{
	struct qp_set *set = &c->set[h & (QP_CACHE_SETS - 1)];
	struct qp_entry *e;
	uint32_t oldest = 0;
	int w, victim = -1;

	for (w = 0; w < QP_CACHE_WAYS; w++) {
		if (set->hash[w] != h || set->e[w].in_len != n)
			continue;
		e = *found = &set->e[w];
		if (!e->data)
			return QP_STORE;
		if (memcmp(e->data, s, n) != 0)
			return QP_MISS;		/* a 64-bit collision: leave it be */
		e->used = c->tick;
		return QP_HIT;
	}
	for (w = 0; w < QP_CACHE_WAYS; w++) {
		uint32_t age = c->tick - set->e[w].used;

		if (!set->hash[w]) {
			victim = w;
			break;
		}
		if (age > (set->e[w].data ? QP_CACHE_FRESH : QP_CACHE_GHOST_FRESH) &&
		    (victim < 0 || age > oldest)) {
			victim = w;
			oldest = age;
		}
	}
	if (victim >= 0) {
		e = &set->e[victim];
		qp_entry_drop(c, e);
		set->hash[victim] = h;
		e->in_len = (uint32_t)n;
		e->out_len = 0;
		e->used = c->tick;
	}
	return QP_MISS;
}

/* Free every stored line not hit for QP_CACHE_FRESH ticks (once a tick at most). */
static void qp_sweep(struct qp_cache *c)
{
	size_t i;
	int w;

	if (c->swept == c->tick)
		return;
	c->swept = c->tick;
	for (i = 0; i < QP_CACHE_SETS; i++)
		for (w = 0; w < QP_CACHE_WAYS; w++) {
			struct qp_entry *e = &c->set[i].e[w];

			if (e->data && (uint32_t)(c->tick - e->used) > QP_CACHE_FRESH)
				qp_entry_drop(c, e);	/* the ghost stays */
		}
}

static void qp_store(struct qp_cache *c, struct qp_entry *e, const char *s, size_t n,
		     const char *enc, size_t enc_len)
{
	size_t need = n + enc_len;

	e->used = c->tick;
	if (c->bytes + need > QP_CACHE_BYTES) {
		qp_sweep(c);
		if (c->bytes + need > QP_CACHE_BYTES)
			return;		/* stays a ghost */
	}
	e->data = malloc(need);
	if (!e->data)
		return;
	memcpy(e->data, s, n);
	memcpy(e->data + n, enc, enc_len);
	e->out_len = (uint32_t)enc_len;
	c->bytes += need;
}

void mime_qp_encode(const char *in, size_t len, struct strbuf *out)
{
	struct qp_cache *c;
	size_t pos = 0, pending = 0;

	if (len < QP_CACHE_MIN_LINE || !(c = qp_cache_get())) {
		mime_qp_encode_uncached(in, len, out);
		return;
	}
	c->tick++;
	/*
	 * in[pending, pos) is whole lines with their breaks not written yet;
	 * they go to the uncached encoder in one call before the next line
	 * written from the cache, or at the end.
	 */
	while (pos < len) {
		const char *nl = memchr(in + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - in) : len, n, next;
		const char *cr = memchr(in + pos, '\r', end - pos);
		struct qp_entry *e;
		enum qp_found f;

		if (cr)
			end = (size_t)(cr - in);
		n = end - pos;
		next = end == len ? len :
		       end + (in[end] == '\r' && end + 1 < len && in[end + 1] == '\n' ? 2 : 1);
		if (n == 0 && pending == pos) {
			/* An empty line encodes to nothing: just its break. */
			strbuf_add(out, "\r\n", 2);
			pending = pos = next;
			continue;
		}
		if (n < QP_CACHE_MIN_LINE || n > QP_CACHE_MAX_LINE ||
		    (f = qp_lookup(c, qp_hash(in + pos, n), in + pos, n, &e)) == QP_MISS) {
			pos = next;
			continue;
		}
		if (pending < pos)
			mime_qp_encode_uncached(in + pending, pos - pending, out);
		if (f == QP_HIT) {
			strbuf_add(out, e->data + n, e->out_len);
			c->hits++;
		} else {
			size_t before = out->len;

			mime_qp_encode_uncached(in + pos, n, out);
			qp_store(c, e, in + pos, n, out->buf + before, out->len - before);
		}
		if (end < len)
			strbuf_add(out, "\r\n", 2);
		pending = pos = next;
	}
	if (pending < len)
		mime_qp_encode_uncached(in + pending, len - pending, out);
}
