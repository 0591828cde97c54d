import { toEventSelector, zeroAddress, type Hex } from 'viem';
import { bloomMayMatch } from '../src/bloom';
import { FACTORY_ABI, VAULT_ABI } from '../src/events';

// logsBloom against watched (addresses, topics). The fixture is a real header from anvil: the
// block of one TradeExecuted of VAULT (and nothing else), read back with eth_getBlockByNumber.

const BLOOM = ('0x' +
  '00000000000000000000000000000000000000000000000000000000000200000000000000000000000000000000000000000000000000000000000000000000' +
  '00000200000000000000000000800020000000000000000000000000000020000000000000000000000000000000000000000000000000000000000000000000' +
  '00000001000000000000000000000000000000000000000000000000000000000000000000000000002000000000000000000000000000000000000000000000' +
  '00000000000000000000000000000000000008000100000000000000000000000000000000000000000080001000008000000000000000000000000000000000') as Hex;
const VAULT = '0xa16e02e87b7454126e5e10d957a927a7f5b5d2be' as Hex;
const FACTORY = '0x5fbdb2315678afecb367f032d93f642f64180aa3' as Hex;
const TRADE = '0x84534b4393285fa8f4997e76a06d846e9b59187fb93274d66c5624f1d3b9e418' as Hex;
const topics = (abi: typeof VAULT_ABI | typeof FACTORY_ABI) => abi.map((e) => toEventSelector(e));

it('the fixture: the trade topic is the ABI selector', () => {
  expect(topics(VAULT_ABI)).toContain(TRADE);
});

it("a block with the vault's trade may match the vault's watch list, with other addresses around it", () => {
  expect(bloomMayMatch(BLOOM, [{ addresses: [VAULT], topics: topics(VAULT_ABI) }])).toBe(true);
  expect(bloomMayMatch(BLOOM, [{ addresses: [zeroAddress, VAULT], topics: [TRADE] }])).toBe(true);
});

it('rules out the factory (no deploy in that block) and an address that is not there', () => {
  expect(bloomMayMatch(BLOOM, [{ addresses: [FACTORY], topics: topics(FACTORY_ABI) }])).toBe(false);
  expect(bloomMayMatch(BLOOM, [{ addresses: [zeroAddress], topics: topics(VAULT_ABI) }])).toBe(false);
});

it('an empty bloom rules everything out; a bloom it cannot read rules nothing out', () => {
  expect(bloomMayMatch(`0x${'00'.repeat(256)}`, [{ addresses: [VAULT], topics: [TRADE] }])).toBe(false);
  expect(bloomMayMatch('0x', [{ addresses: [VAULT], topics: [TRADE] }])).toBe(true);
});
