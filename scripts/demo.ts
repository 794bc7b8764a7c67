// `sudo npm run demo`: a guided tour on a throwaway lab: our smcrouted routing multicast between
// namespaces, what it routed and what it did not and why (explain), what a reload would change
// (reload --dry-run), and its metrics. Owns the tour only; the lab comes from test/lib.
import { Receiver, send } from '../test/lib/mcast.js';
import { isRoot, withLab } from '../test/lib/netns.js';
import { SMCROUTECTL, SMCROUTED } from '../test/lib/ours.js';
import { scrapeIn } from '../test/lib/scrape.js';
import { buildStar } from '../test/lib/topology.js';

const CONF = `# The demo's smcroute.conf: one (S,G) route, one (*,G/LEN) template,
# an IPv6 (*,G) template, and a join on the inbound interface.
mgroup from r0 group 225.1.2.3
mroute from r0 source 10.10.1.2 group 225.1.2.3 to r1
mroute from r0 group 225.3.0.0/16 to r1 r2
mroute from r0 group ff0e::3:1 to r2
`;

function say(text: string): void {
  process.stdout.write(`\n\x1b[1m== ${text}\x1b[0m\n`);
}

async function main(): Promise<number> {
  if (!isRoot()) {
    process.stderr.write('The demo builds network namespaces: run it as root (sudo npm run demo).\n');
    return 77;
  }
  return withLab(async (lab) => {
    say('Building the lab: snd --(s0|r0)-- rtr --(r1|x0)-- rx1,  rtr --(r2|x0)-- rx2');
    // 10.10.k.0/24 and fd00:10:k::/64 per link k: the sender is 10.10.1.2, as the conf's (S,G) says.
    const { snd, rtr, rx1, rx2 } = buildStar(lab, { net: 10, families: ['inet', 'inet6'] });

    const conf = lab.writeFile('smcroute.conf', CONF);
    const sock = lab.path('smcroute.sock');
    const pid = lab.path('smcroute.pid');
    say(`Starting smcrouted in the router namespace with:\n${CONF}`);
    const daemon = await lab.startDaemon({
      ns: rtr,
      cmd: SMCROUTED,
      args: ['-n', '-f', conf, '-u', sock, '-P', pid, '-i', `demo-${lab.id}`, '-l', 'info', '--metrics', '127.0.0.1:9544'],
      readyFiles: [sock, pid],
      label: 'smcrouted',
    });

    const groups = ['225.1.2.3', '225.3.7.7', '225.9.9.9'];
    const joins = [...groups, 'ff0e::3:1'].map((group) => ({ group }));
    const r1 = await Receiver.start(lab, { ns: rx1, iface: 'x0', joins });
    const r2 = await Receiver.start(lab, { ns: rx2, iface: 'x0', joins });

    say('Sending 10 datagrams to each of 225.1.2.3, 225.3.7.7, 225.9.9.9 and ff0e::3:1 from the sender (TTL 8)');
    await send(lab, { ns: snd, iface: 's0', groups, count: 10, intervalMs: 5 });
    await send(lab, { ns: snd, iface: 's0', groups: 'ff0e::3:1', count: 10, intervalMs: 5 });
    await new Promise((r) => setTimeout(r, 500));

    const c1 = await r1.stop();
    const c2 = await r2.stop();
    say('What arrived');
    const row = (g: string) => `  ${g.padEnd(12)} rx1: ${String(c1.of(g)).padStart(3)}   rx2: ${String(c2.of(g)).padStart(3)}`;
    process.stdout.write(
      `${[...groups, 'ff0e::3:1'].map(row).join('\n')}\n` +
        '  225.1.2.3 is an (S,G) route to r1 only; 225.3.7.7 matches the (*,225.3.0.0/16) template to r1 and r2;\n' +
        '  225.9.9.9 matches no rule, so it gets a stop filter and goes nowhere; ff0e::3:1 is an IPv6 (*,G) to r2.\n',
    );

    say('smcroutectl show (routes, with kernel counters)');
    process.stdout.write(lab.exec(rtr, SMCROUTECTL, ['-u', sock, '-p', '-d', 'show']).stdout);
    const ctl = (...args: string[]) => lab.exec(rtr, SMCROUTECTL, ['-u', sock, ...args], { check: false }).stdout;
    say('smcroutectl explain 10.10.1.2 225.1.2.3: a forwarded flow');
    process.stdout.write(ctl('explain', '10.10.1.2', '225.1.2.3'));
    say('smcroutectl explain 10.10.1.2 225.9.9.9: a flow no rule matches');
    process.stdout.write(ctl('explain', '10.10.1.2', '225.9.9.9'));
    say('smcroutectl explain r1 10.10.1.2 225.1.2.3: the same flow arriving on the wrong interface');
    process.stdout.write(ctl('explain', 'r1', '10.10.1.2', '225.1.2.3'));

    const edited = CONF.replace('mroute from r0 group 225.3.0.0/16 to r1 r2\n', 'mroute from r0 group 225.4.4.4 to r2\n');
    lab.writeFile('smcroute.conf', edited);
    say('Editing smcroute.conf (225.3.0.0/16 -> 225.4.4.4), then smcroutectl reload -n: what a reload would change');
    process.stdout.write(ctl('reload', '-n'));

    say('GET http://127.0.0.1:9544/metrics (smcrouted --metrics), as Prometheus scrapes it: a few lines');
    const scraped = scrapeIn(lab, rtr, 'http://127.0.0.1:9544/metrics', false).body;
    const wanted =
      /^smcroute_(route_packets_total\{family="inet"|routes\{family="inet"|upcalls_total\{kind="nocache"|routes_learned_total|ipc_commands_total\{command="explain",result="ok")/;
    process.stdout.write(
      scraped
        .split('\n')
        .filter((l) => wanted.test(l))
        .map((l) => `  ${l}`)
        .join('\n') + '\n',
    );

    say('Stopping smcrouted and removing the lab');
    await daemon.stop();
    process.stdout.write(
      daemon.logs
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => `  ${l}`)
        .join('\n') + '\n',
    );
    const ok =
      c1.of('225.1.2.3') > 0 &&
      c2.of('225.1.2.3') === 0 &&
      c1.of('225.3.7.7') > 0 &&
      c2.of('225.3.7.7') > 0 &&
      c1.of('225.9.9.9') === 0 &&
      c2.of('225.9.9.9') === 0 &&
      c2.of('ff0e::3:1') > 0;
    say(ok ? 'Demo finished: multicast was routed as configured.' : 'Demo finished, but forwarding was not as expected.');
    return ok ? 0 : 1;
  });
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
