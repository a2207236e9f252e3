import { describe, expect, it } from 'vitest';
import { PlaceIndex, placeIndexFor, placeKey } from '../../src/core/matching/places.ts';
import { isMatch, MIN_MATCH_SCORE, scoreMatch, type BuyerCriteria, type ListingFacts } from '../../src/core/matching/score.ts';

const places = new PlaceIndex([
  { name: 'Al Malqa', names: { en: 'Al Malqa', ar: 'الملقا' } },
  { name: 'Al Narjis', names: { en: 'Al Narjis', ar: 'النرجس' } },
]);

// Faisal's request in the demo agency.
const faisal: BuyerCriteria = {
  cities: ['Riyadh'],
  districts: ['Al Malqa', 'Al Yasmin', 'Al Narjis'],
  propertyTypes: ['villa'],
  priceMin: null,
  priceMax: 3_000_000,
  areaMin: null,
  areaMax: null,
  bedroomsMin: 4,
};
const villa: ListingFacts = { city: 'Riyadh', district: 'Al Narjis', propertyType: 'villa', price: 2_850_000, areaSqm: 375, bedrooms: 5 };

describe('place keys', () => {
  it('compares locations case-, space-, dash- and article-insensitively', () => {
    expect(placeKey('al  malqa')).toBe(placeKey('Al Malqa'));
    expect(placeKey('AL-MALQA')).toBe(placeKey('Al Malqa'));
    expect(placeKey('Malqa')).toBe(placeKey('Al Malqa'));
    expect(placeKey(' Riyadh ')).toBe(placeKey('riyadh'));
  });

  it('maps a district’s Arabic name to the same place, with or without "حي" and diacritics', () => {
    expect(places.same('الملقا', 'Al Malqa')).toBe(true);
    expect(places.same('حي الملقا', 'al  malqa')).toBe(true);
    expect(places.same('النرجس', 'Al Malqa')).toBe(false);
    expect(places.label('al malqa', 'ar')).toBe('الملقا');
  });

  it('loads the demo agency’s district names from its pack', () => {
    const realty = placeIndexFor('demo-realty');
    expect(realty.same('الياسمين', 'Al Yasmin')).toBe(true);
    expect(placeIndexFor('no-such-tenant').same('Al Yasmin', 'al yasmin')).toBe(true);
  });
});

describe('scoreMatch', () => {
  it('scores an exact fit 100 with a reason per criterion', () => {
    const m = scoreMatch(faisal, villa, places);
    expect(m).toMatchObject({ score: 100, passes: true });
    expect(m.reasons.map((r) => [r.criterion, r.status])).toEqual([
      ['location', 'match'],
      ['type', 'match'],
      ['price', 'match'],
      ['bedrooms', 'match'],
      ['area', 'any'],
    ]);
  });

  it('matches districts written differently, or in Arabic', () => {
    expect(scoreMatch({ ...faisal, districts: ['al  narjis'] }, villa, places).reasons[0]!.status).toBe('match');
    expect(scoreMatch({ ...faisal, districts: ['النرجس'] }, villa, places).reasons[0]!.status).toBe('match');
    expect(scoreMatch({ ...faisal, cities: ['riyadh '] }, villa, places).passes).toBe(true);
  });

  it('ranks another district of the same city lower but still shows it', () => {
    const m = scoreMatch(faisal, { ...villa, district: 'Al Rawdah' }, places);
    expect(m.passes).toBe(true);
    expect(m.score).toBe(70);
    expect(isMatch(m)).toBe(true);
  });

  it('applies the hard filters: city, type, price over the tolerance, two bedrooms short', () => {
    expect(scoreMatch(faisal, { ...villa, city: 'Jeddah' }, places)).toMatchObject({ passes: false, failed: 'location' });
    expect(scoreMatch(faisal, { ...villa, propertyType: 'apartment' }, places)).toMatchObject({ passes: false, failed: 'type' });
    expect(scoreMatch(faisal, { ...villa, price: 3_400_000 }, places)).toMatchObject({ passes: false, failed: 'price' });
    expect(scoreMatch(faisal, { ...villa, bedrooms: 2 }, places)).toMatchObject({ passes: false, failed: 'bedrooms' });
  });

  it('scores near misses softly: a little over budget, one bedroom short, area near the range', () => {
    const over = scoreMatch(faisal, { ...villa, price: 3_150_000 }, places);
    expect(over.passes).toBe(true);
    expect(over.reasons.find((r) => r.criterion === 'price')).toMatchObject({ status: 'partial', detail: { over_pct: 5 } });
    expect(over.score).toBe(88);
    const short = scoreMatch(faisal, { ...villa, bedrooms: 3 }, places);
    expect(short.reasons.find((r) => r.criterion === 'bedrooms')).toMatchObject({ status: 'partial', points: 5 });
    const area = scoreMatch({ ...faisal, areaMin: 400, areaMax: 500 }, villa, places);
    expect(area.reasons.find((r) => r.criterion === 'area')).toMatchObject({ status: 'partial', points: 5 });
    const under = scoreMatch({ ...faisal, priceMin: 2_900_000 }, villa, places);
    expect(under.reasons.find((r) => r.criterion === 'price')).toMatchObject({ status: 'partial', points: 12 });
  });

  it('gives full points where the buyer set no preference', () => {
    const open: BuyerCriteria = { cities: [], districts: [], propertyTypes: [], priceMin: null, priceMax: null, areaMin: null, areaMax: null, bedroomsMin: null };
    const m = scoreMatch(open, { ...villa, city: 'Jeddah', bedrooms: null, areaSqm: null }, places);
    expect(m).toMatchObject({ score: 100, passes: true });
    expect(m.reasons.every((r) => r.status === 'any')).toBe(true);
  });

  it('leaves land (no bedrooms) without bedroom points when bedrooms were asked for', () => {
    const m = scoreMatch({ ...faisal, propertyTypes: [] }, { ...villa, propertyType: 'land', bedrooms: null }, places);
    expect(m.reasons.find((r) => r.criterion === 'bedrooms')).toMatchObject({ status: 'miss', points: 0 });
    expect(m.score).toBe(85);
  });

  it('does not show matches below the threshold', () => {
    const weak = scoreMatch({ ...faisal, areaMin: 1000, priceMin: 2_900_000 }, { ...villa, district: 'Hittin', bedrooms: 3 }, places);
    expect(weak.passes).toBe(true);
    expect(weak.score).toBeLessThan(MIN_MATCH_SCORE);
    expect(isMatch(weak)).toBe(false);
  });
});
