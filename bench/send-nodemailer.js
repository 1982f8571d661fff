// The peer for bench/send: nodemailer with a pooled SMTP transport sends N
// personalized messages of about SIZE bytes (the size newsbeat's messages
// have) to the sink on 127.0.0.1:PORT over CONN pooled connections.
//   usage: node send-nodemailer.js PORT N SIZE CONN     (run by bench/send)
// Prints "sent FAILED SECONDS AVGBYTES" on stdout.
//
// Messages are built here, per recipient (text + HTML, "Dear NAME"), and fed
// from a bounded window of 2*CONN in flight: nodemailer's memory grows to
// ~700 MB when all 20,000 are queued at once (DESIGN.md).
'use strict';
const nodemailer = require('nodemailer');
const MailComposer = require('nodemailer/lib/mail-composer');

const [port, n, size, conn] = process.argv.slice(2).map(Number);
const words = ('cardiac magnetic resonance heart failure ejection fraction guideline ' +
	'trial cohort imaging registry society meeting abstract deadline ' +
	'fibrosis perfusion strain valve rhythm outcome patients clinic').split(' ');
let seed = 7;
function rnd() {
	seed = (seed * 1103515245 + 12345) & 0x7fffffff;
	return seed;
}
function para(k) {
	const w = [];
	for (let i = 0; i < k; i++)
		w.push(words[rnd() % words.length]);
	return w.join(' ') + '.';
}

// One issue body, rendered once; the per-recipient part is the greeting.
function body(chars) {
	const text = [], html = [];
	let len = 0;
	while (len < chars) {
		const h = para(4), p = para(40), l = para(8);
		text.push(h.toUpperCase(), '', p, '', '  * ' + l, '');
		html.push('<h2>' + h + '</h2>', '<p>' + p + '</p>', '<ul><li>' + l + '</li></ul>');
		len += h.length + p.length + l.length;
	}
	return { text: text.join('\n'), html: html.join('\n') };
}

function message(b, i) {
	const name = 'Reader ' + i;
	return {
		from: 'NewsBeat <newsbeat@example.org>',
		to: `"${name}" <reader${i}@example.org>`,
		subject: 'Benchmark issue',
		headers: {
			'List-Id': 'NewsBeat <newsbeat.example.org>',
			'List-Unsubscribe': `<https://news.example.org/unsubscribe?t=${i}>`,
			'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
		},
		text: `Dear ${name},\n\n` + b.text,
		html: `<html><body><p>Dear ${name},</p>\n` + b.html + '</body></html>',
	};
}

function built(msg) {
	return new Promise((ok, fail) => new MailComposer(msg).compile().build((e, m) => e ? fail(e) : ok(m.length)));
}

async function main() {
	// Calibrate the body so one compiled message is about SIZE bytes.
	let chars = size / 2, b, got;
	for (let k = 0; k < 6; k++) {
		seed = 7;
		b = body(chars);
		got = await built(message(b, 1));
		if (Math.abs(got - size) < size * 0.02)
			break;
		chars *= size / got;
	}
	const t = nodemailer.createTransport({
		pool: true, maxConnections: conn, maxMessages: Infinity,
		host: '127.0.0.1', port, secure: false, ignoreTLS: true,
	});
	let next = 0, sent = 0, failed = 0;
	const start = process.hrtime.bigint();
	async function lane() {
		while (next < n) {
			const i = next++;
			try {
				await t.sendMail(message(b, i));
				sent++;
			} catch (e) {
				if (failed++ === 0)
					console.error('nodemailer: ' + e.message);
			}
		}
	}
	const lanes = [];
	for (let k = 0; k < 2 * conn; k++)
		lanes.push(lane());
	await Promise.all(lanes);
	const secs = Number(process.hrtime.bigint() - start) / 1e9;
	t.close();
	console.log(`${sent} ${failed} ${secs.toFixed(3)} ${got}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
