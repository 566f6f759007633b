import { parseCommandTemplate, renderCommand, TemplateError } from '../../../src/provisioner';

const render = (source: string, values: Record<string, string | number | null> = {}) => renderCommand(parseCommandTemplate(source), values);

describe('command templates (split once like a shell would, filled per host, never run through a shell)', () => {
  it('splits on blanks and fills each {field} inside its own argument', () => {
    expect(render('ipmitool -I lanplus -H {bmc_address} -U {bmc_user} chassis power on', { bmc_address: '10.0.0.5', bmc_user: 'admin' }))
      .toEqual(['ipmitool', '-I', 'lanplus', '-H', '10.0.0.5', '-U', 'admin', 'chassis', 'power', 'on']);
    expect(render('  tool   --host={name}:{port}  ', { name: 'h1', port: 623 })).toEqual(['tool', '--host=h1:623']);
  });

  it('never lets a value become more than one argument, nor be interpreted', () => {
    const hostile = 'x; rm -rf / $(reboot) `id` "quoted" \'single\' | cat > /etc/passwd';
    expect(render('echo {v}', { v: hostile })).toEqual(['echo', hostile]);
    expect(render('echo pre-{v}-post', { v: 'a b' })).toEqual(['echo', 'pre-a b-post']);
  });

  it('understands quotes and backslashes in the template', () => {
    expect(render(`cmd 'a b' "c \\"d\\" \\\\ e" f\\ g '' "x{h}y"`, { h: 'H' })).toEqual(['cmd', 'a b', 'c "d" \\ e', 'f g', '', 'xHy']);
    expect(render(`cmd 'it''s'`)).toEqual(['cmd', 'its']);
    expect(render('cmd {{literal}} }}')).toEqual(['cmd', '{literal}', '}']);
  });

  it('lists the fields it needs and refuses to run without them', () => {
    const t = parseCommandTemplate('power {bmc_address} {bmc_user}');
    expect(t.fields).toEqual(['bmc_address', 'bmc_user']);
    expect(() => renderCommand(t, { bmc_address: 'a' })).toThrow('no value for {bmc_user}');
    expect(() => renderCommand(t, { bmc_address: 'a', bmc_user: null })).toThrow('no value for {bmc_user}');
  });

  it('refuses a value that would start an argument with "-" (argument injection) or hold a NUL byte', () => {
    expect(() => render('ssh {host} true', { host: '-oProxyCommand=evil' })).toThrow(/starts with "-"/);
    expect(render('tool --x={v}', { v: '-1' })).toEqual(['tool', '--x=-1']);
    expect(() => render('tool {v}', { v: 'a\0b' })).toThrow(/NUL/);
  });

  it.each([
    ['', 'is empty'],
    ['   ', 'is empty'],
    ['cmd "open', 'unclosed double quote'],
    ["cmd 'open", 'unclosed single quote'],
    ['cmd trailing\\', 'lone backslash'],
    ['cmd {unclosed', 'without "}"'],
    ['cmd close}', 'without "{"'],
    ['cmd {bad name}', 'invalid placeholder'],
    ['cmd {}', 'invalid placeholder'],
    ['{program} arg', 'program name'],
    ['ipmitool power on | logger', 'shell operator'],
    ['ipmitool power on > /tmp/log', 'shell operator'],
    ['a && b', 'shell operator'],
  ])('rejects %j: %s', (source, message) => {
    expect(() => parseCommandTemplate(source)).toThrow(TemplateError);
    expect(() => parseCommandTemplate(source)).toThrow(message);
  });

  it('passes a quoted operator as a plain argument', () => {
    expect(render("cmd '|' \\>")).toEqual(['cmd', '|', '>']);
  });
});
