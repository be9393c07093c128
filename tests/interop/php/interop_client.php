<?php
// A PHP SoapClient (ext-soap) client, built from the WSDLs the platform serves, calling the
// service through the platform. Prints one line per outcome for the test.
// Usage: php interop_client.php BASE ORDER-ID INSTANCE-ID PATIENT NATIONAL-ENDPOINT
const LOGICAL_ADDRESS = 'SE5565594230-EPH';
const LAB = 'SE2321000016-LAB1';
const SAMPLING = 'SE2321000016-PT01';

const CITIZEN = 'SE5565594230-1177';
const CARE_GIVER = 'SE2321000016-CG01';
const AGGREGATOR = 'SE5565594230-AGP1';

[$script, $base, $orderId, $instance, $patient, $national] = $argv;

function client(string $base, string $interaction, string $sender, string $instance): SoapClient {
    return endpoint("$base/$interaction/1/rivtabp21", $sender, $instance);
}

function endpoint(string $url, string $sender, string $instance): SoapClient {
    $context = stream_context_create(['http' => [
        'header' => "x-vp-sender-id: $sender\r\nx-vp-instance-id: $instance\r\n",
    ]]);
    $client = new SoapClient("$url?wsdl", [
        'soap_version' => SOAP_1_1,
        'stream_context' => $context,
        'cache_wsdl' => WSDL_CACHE_NONE,
        'exceptions' => true,
        'features' => SOAP_SINGLE_ELEMENT_ARRAYS,
    ]);
    $client->__setSoapHeaders([new SoapHeader('urn:riv:itintegration:registry:1', 'LogicalAddress', LOGICAL_ADDRESS)]);
    return $client;
}

function result(string $orderId): array {
    $time = new DateTime('-1 minute', new DateTimeZone('Europe/Stockholm'));
    return ['laboratoryResult' => [
        'orderId' => $orderId,
        'performingLabHSAId' => LAB,
        'resultVersion' => 1,
        'reportStatus' => 'FINAL',
        'reportTime' => $time->format('YmdHis'),
        'analysisResult' => [[
            'code' => ['code' => 'NPU27300', 'codeSystem' => '1.2.752.108.1'],
            'pq' => ['value' => '39', 'unit' => 'mmol/mol'],
            'status' => 'FINAL',
        ]],
    ]];
}

function local(string $code): string {
    $parts = explode(':', $code);
    return end($parts);
}

$labOrders = client($base, 'GetOrders', LAB, $instance);
$labResults = client($base, 'SetResult', LAB, $instance);
$samplingResults = client($base, 'SetResult', SAMPLING, $instance);

$orders = $labOrders->GetOrders(['orderId' => [$orderId]])->order ?? [];
echo 'GETORDERS count=' . count($orders) . ' status=' . ($orders[0]->status ?? '-') . "\n";

$request = result($orderId);
foreach ([1, 2] as $n) {
    echo "SETRESULT $n " . $labResults->SetResult($request)->result->resultCode . "\n";
}
try {
    $samplingResults->SetResult(result($orderId));
    echo "VPFAULT none\n";
} catch (SoapFault $f) {
    echo 'VPFAULT code=' . local($f->faultcode) . ' string=' . $f->faultstring . "\n";
}
try {
    $labOrders->GetOrders(['patientId' => ['id' => '191212121213', 'type' => '1.2.752.129.2.1.3.1']]);
    echo "VALIDATIONFAULT none\n";
} catch (SoapFault $f) {
    echo 'VALIDATIONFAULT code=' . local($f->faultcode) . ' string=' . $f->faultstring . "\n";
}

$sites = client($base, 'GetSamplingSites', CITIZEN, $instance)->GetSamplingSites(['careGiverHSAId' => CARE_GIVER]);
$found = $sites->samplingSite ?? [];
echo 'SITES count=' . count($found) . ' lab=' . ($found[0]->performingLabHSAId ?? '-') . "\n";
$log = client($base, 'GetAccessLog', CITIZEN, $instance)->GetAccessLog(
    ['patientId' => ['id' => $patient, 'type' => '1.2.752.129.2.1.3.1']]);
$labRead = false;
foreach ($log->accessLogEntry ?? [] as $entry) {
    if (($entry->systemHSAId ?? '') === LAB) {
        $labRead = true;
    }
}
echo 'ACCESSLOG labRead=' . ($labRead ? 'true' : 'false') . "\n";

// the national aggregator reads the patient's released results in the national contract
$outcomes = endpoint($national, AGGREGATOR, $instance)->GetLaboratoryOrderOutcome(
    ['patientId' => ['root' => '1.2.752.129.2.1.3.1', 'extension' => $patient]])->laboratoryOrderOutcome ?? [];
if (count($outcomes) === 0) {
    echo "OUTCOME count=0\n";
} else {
    $first = $outcomes[0];
    $pq = $first->body->groupOfAnalyses[0]->analysis[0]->result[0]->value->pq;
    echo 'OUTCOME count=' . count($outcomes) . ' record=' . $first->header->record->id->extension
        . ' approved=' . ($first->header->accessControlHeader->approvedForPatient ? 'true' : 'false')
        . ' value=' . $pq->value . ' ' . $pq->unit . "\n";
}

// RC4: 1177 sets the patient's notices to SMS (as the patient), then reads them back
$me = ['id' => $patient, 'type' => '1.2.752.129.2.1.3.1'];
$set = client($base, 'SetNoticeSettings', CITIZEN, $instance)->SetNoticeSettings([
    'patientId' => $me,
    'channel' => 'SMS',
    'mobileNumber' => '070-174 06 05',
    'changedBy' => ['actorType' => 'PATIENT', 'id' => $patient],
])->result;
$notices = client($base, 'GetNoticeSettings', CITIZEN, $instance)->GetNoticeSettings(['patientId' => $me])
    ->noticeSettings ?? null;
echo 'NOTICES set=' . $set->resultCode
    . ($notices === null ? ' channel=-' : ' channel=' . $notices->channel . ' mobile=' . ($notices->mobileNumber ?? '-'))
    . "\n";
