import type { SkinConcern } from '../leads/attributes.ts';

/**
 * The words customers use, per language, for the things the customer tools
 * understand. Data, not logic: extend a list to teach the tools a synonym.
 * Matching is on lower-cased, NFKC-normalised text; English terms match
 * whole words, Thai and Arabic terms match anywhere (Thai has no spaces,
 * Arabic glues prefixes such as ال/ب/و to words).
 */

export const CONCERN_TERMS: Record<SkinConcern, string[]> = {
  acne: ['acne', 'pimple', 'pimples', 'breakout', 'breakouts', 'zits', 'สิว', 'حب الشباب', 'حبوب الوجه', 'البثور'],
  large_pores: ['large pores', 'big pores', 'enlarged pores', 'open pores', 'pores', 'รูขุมขนกว้าง', 'รูขุมขน', 'المسام الواسعة', 'المسام', 'مسام'],
  pigmentation: ['pigmentation', 'melasma', 'dark spots', 'sun spots', 'freckles', 'ฝ้ากระ', 'ฝ้า', 'จุดด่างดำ', 'กระแดด', 'تصبغات', 'تصبغ', 'الكلف', 'كلف', 'نمش'],
  wrinkles: ['wrinkles', 'wrinkle', 'fine lines', 'crow\'s feet', 'ริ้วรอย', 'รอยย่น', 'ตีนกา', 'تجاعيد', 'التجاعيد'],
  dullness: ['dull skin', 'dullness', 'dull', 'ผิวหมองคล้ำ', 'ผิวหมอง', 'หมองคล้ำ', 'بهتان', 'البشرة الباهتة'],
  redness: ['redness', 'red skin', 'rosacea', 'red marks', 'รอยแดง', 'ผิวแดง', 'احمرار'],
  dark_circles: ['dark circles', 'eye bags', 'under-eye', 'under eye', 'ใต้ตาคล้ำ', 'รอยคล้ำใต้ตา', 'ขอบตาดำ', 'الهالات السوداء', 'هالات'],
  sagging: ['sagging', 'saggy', 'loose skin', 'jowls', 'หย่อนคล้อย', 'ผิวหย่อน', 'ترهل', 'الترهل'],
  scars: ['acne scars', 'scars', 'scar', 'หลุมสิว', 'แผลเป็น', 'ندبات', 'ندب', 'آثار حب الشباب'],
};

export const PROPERTY_TYPE_TERMS: Record<string, string[]> = {
  villa: ['villa', 'villas', 'house', 'วิลล่า', 'บ้านเดี่ยว', 'فيلا', 'فلة', 'فله', 'فلل', 'الفيلا', 'الفلة', 'بيت'],
  apartment: ['apartment', 'apartments', 'flat', 'flats', 'condo', 'คอนโด', 'อพาร์ตเมนต์', 'شقة', 'شقه', 'شقق', 'الشقة'],
  townhouse: ['townhouse', 'town house', 'townhome', 'ทาวน์เฮาส์', 'ทาวน์โฮม', 'تاون هاوس', 'تاونهاوس'],
  duplex: ['duplex', 'ดูเพล็กซ์', 'دوبلكس', 'دبلكس', 'دوبليكس'],
  land: ['land', 'plot', 'plots', 'ที่ดิน', 'أرض', 'ارض', 'أراضي', 'اراضي'],
};

/** Areas of a city as people say them; a district's `zone` in the tenant's geography. */
export const ZONE_TERMS: Record<string, string[]> = {
  north: ['north', 'northern', 'ทางเหนือ', 'โซนเหนือ', 'شمال', 'الشمال', 'شمالي'],
  south: ['south', 'southern', 'ทางใต้', 'جنوب', 'الجنوب'],
  east: ['east', 'eastern', 'ตะวันออก', 'شرق', 'الشرق'],
  west: ['west', 'western', 'ตะวันตก', 'غرب', 'الغرب'],
  central: ['central', 'downtown', 'city centre', 'city center', 'ใจกลางเมือง', 'وسط', 'الوسط'],
};

export const CITY_NAMES: Record<string, string[]> = {
  Riyadh: ['riyadh', 'الرياض', 'رياض'],
  Jeddah: ['jeddah', 'jedda', 'جدة', 'جده'],
  Dammam: ['dammam', 'الدمام'],
  Bangkok: ['bangkok', 'กรุงเทพ', 'กทม'],
  Nonthaburi: ['nonthaburi', 'นนทบุรี'],
};

/** Words that follow a count of bedrooms. */
export const BEDROOM_TERMS = ['bedrooms', 'bedroom', 'beds', 'bed', 'br', 'bhk', 'rooms', 'room', 'ห้องนอน', 'ห้อง', 'غرف نوم', 'غرفة نوم', 'غرف', 'غرفة', 'غرفه'];

/** Words that make a question a price question. */
export const PRICE_TERMS = ['how much', 'price', 'prices', 'cost', 'costs', 'fee', 'fees', 'ราคา', 'เท่าไหร่', 'เท่าไร', 'กี่บาท', 'ค่าใช้จ่าย', 'سعر', 'اسعار', 'أسعار', 'السعر', 'بكم', 'كم يكلف', 'تكلفة', 'التكلفة', 'قيمة'];

/**
 * Topics of the tenant's knowledge base, by the `source` of knowledge_chunks:
 * a keyword hit on a topic lifts that source's chunks over plain vector
 * similarity. Sources are matched by prefix (`payment` also covers `payment_financing`).
 */
export const TOPIC_TERMS: Record<string, string[]> = {
  hours: ['open', 'opening', 'close', 'closing', 'hours', 'what time', 'weekend', 'เปิด', 'ปิด', 'กี่โมง', 'เวลาทำการ', 'วันหยุด', 'تفتح', 'تفتحون', 'تقفل', 'تقفلون', 'تغلق', 'تغلقون', 'أوقات', 'اوقات', 'الدوام', 'دوام', 'مفتوح', 'الجمعة'],
  address: ['address', 'where are you', 'where is', 'location', 'located', 'how do i get', 'directions', 'map', 'bts', 'metro', 'ที่อยู่', 'อยู่ที่ไหน', 'อยู่ตรงไหน', 'ตรงไหน', 'แผนที่', 'เดินทาง', 'عنوان', 'العنوان', 'موقعكم', 'وين', 'أين', 'اين', 'مكانكم', 'الموقع'],
  parking: ['parking', 'park', 'car park', 'จอดรถ', 'ที่จอด', 'موقف', 'مواقف', 'المواقف', 'باركنج'],
  payment: ['pay', 'payment', 'card', 'cards', 'credit', 'instalment', 'instalments', 'installment', 'installments', 'cash', 'transfer', 'mortgage', 'finance', 'financing', 'loan', 'ผ่อน', 'บัตร', 'จ่าย', 'ชำระ', 'โอน', 'เงินสด', 'دفع', 'الدفع', 'تقسيط', 'أقساط', 'تمويل', 'التمويل', 'قرض', 'كاش', 'بطاقة'],
  booking_policy: ['cancel', 'reschedule', 'change my appointment', 'deposit', 'เลื่อนนัด', 'ยกเลิกนัด', 'มัดจำ', 'إلغاء الموعد', 'تأجيل', 'عربون'],
  aftercare: ['aftercare', 'after care', 'after treatment', 'downtime', 'sunscreen', 'ดูแลหลัง', 'หลังทำ', 'พักฟื้น', 'กันแดด', 'العناية بعد'],
  how_treatments_work: ['how does it work', 'how do treatments work', 'hurt', 'painful', 'pain', 'doctor', 'เจ็บ', 'ขั้นตอน', 'คุณหมอ', 'แพทย์'],
  how_viewings_work: ['viewing', 'viewings', 'visit the property', 'see the property', 'معاينة', 'المعاينة', 'أعاين', 'اعاين'],
  buying_process: ['buying process', 'steps', 'how do i buy', 'deed', 'transfer of ownership', 'خطوات', 'الصك', 'صك', 'الإفراغ', 'افراغ'],
  fees: ['fees', 'commission', 'tax', 'vat', 'ค่าธรรมเนียม', 'ภาษี', 'رسوم', 'الرسوم', 'عمولة', 'السعي', 'ضريبة'],
};

/** Weekday names (0 = Sunday, as Date.getUTCDay), per language. */
export const WEEKDAY_TERMS: [number, string[]][] = [
  [0, ['sunday', 'sun', 'วันอาทิตย์', 'الأحد', 'الاحد']],
  [1, ['monday', 'mon', 'วันจันทร์', 'จันทร์', 'الاثنين', 'الإثنين']],
  [2, ['tuesday', 'tue', 'tues', 'วันอังคาร', 'อังคาร', 'الثلاثاء', 'ثلاثاء']],
  [3, ['wednesday', 'wed', 'วันพุธ', 'พุธ', 'الأربعاء', 'الاربعاء', 'اربعاء']],
  [4, ['thursday', 'thu', 'thurs', 'วันพฤหัสบดี', 'วันพฤหัส', 'พฤหัสบดี', 'พฤหัส', 'الخميس', 'خميس']],
  [5, ['friday', 'fri', 'วันศุกร์', 'ศุกร์', 'الجمعة', 'الجمعه', 'جمعة']],
  [6, ['saturday', 'sat', 'วันเสาร์', 'เสาร์', 'السبت', 'سبت']],
];

/** Days relative to today. */
export const RELATIVE_DAY_TERMS: [number, string[]][] = [
  [2, ['day after tomorrow', 'มะรืนนี้', 'มะรืน', 'بعد غد', 'بعد بكرة', 'بعد بكره']],
  [1, ['tomorrow', 'tmr', 'พรุ่งนี้', 'غدا', 'غداً', 'بكرة', 'بكره', 'الغد']],
  [0, ['today', 'tonight', 'this evening', 'this afternoon', 'วันนี้', 'คืนนี้', 'اليوم', 'الليلة']],
];

/** Words that put an hour in the afternoon/evening (add 12) or the morning. */
export const PM_TERMS = ['pm', 'p.m.', 'evening', 'afternoon', 'บ่าย', 'เย็น', 'ทุ่ม', 'مساء', 'مساءً', 'العصر', 'عصرا', 'عصراً', 'الظهر'];
export const AM_TERMS = ['am', 'a.m.', 'morning', 'เช้า', 'صباحا', 'صباحاً', 'الصبح', 'صباح'];
