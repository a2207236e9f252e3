/** The fixed "today" of the test data: seeds and clocks in tests are relative to it, so results never depend on the day the suite runs. */
export const TEST_ANCHOR = new Date('2026-11-20T00:00:00Z');
