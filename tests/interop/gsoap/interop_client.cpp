// A gSOAP client (C++; wsdl2h and soapcpp2 generated its types and call stubs from the WSDLs the
// platform serves, see tests/interop/test_interop.py) that calls the service through the platform.
// Prints one line per outcome for the test.
// Usage: interop_client BASE ORDER-ID INSTANCE-ID PATIENT NATIONAL-ENDPOINT
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <string>

#include "soapH.h"
#include "GetOrdersResponderBinding.nsmap"  // every .nsmap soapcpp2 writes holds the same table

static const std::string LOGICAL_ADDRESS = "SE5565594230-EPH";
static const std::string LAB = "SE2321000016-LAB1";
static const std::string SAMPLING = "SE2321000016-PT01";
static const std::string CITIZEN = "SE5565594230-1177";
static const std::string CARE_GIVER = "SE2321000016-CG01";
static const std::string AGGREGATOR = "SE5565594230-AGP1";
static const std::string PERSON_NUMBER = "1.2.752.129.2.1.3.1";

static std::string base, instance;

// Before every call (a call leaves both soap->http_extra_header and soap->header empty): the
// development identity as HTTP headers and the RIV-TA LogicalAddress SOAP header, a member of
// SOAP_ENV__Header from the binding's soap:header.
static std::string at(struct soap *soap, const std::string &url, const std::string &sender) {
    static std::string headers, address;
    headers = "x-vp-sender-id: " + sender + "\r\nx-vp-instance-id: " + instance;
    address = LOGICAL_ADDRESS;
    soap->http_extra_header = headers.c_str();
    soap->header = soap_new_SOAP_ENV__Header(soap);
    soap->header->itr__LogicalAddress = &address;
    return url;
}

// The same for an interaction of the project's own contracts, by its name.
static std::string endpoint(struct soap *soap, const std::string &interaction, const std::string &sender) {
    return at(soap, base + "/" + interaction + "/1/rivtabp21", sender);
}

// The call must succeed; otherwise the fault goes to stderr and the client stops.
static void ok(struct soap *soap, int status, const char *what) {
    if (status != SOAP_OK) {
        std::cerr << what << " failed: ";
        soap_stream_fault(soap, std::cerr);
        std::exit(1);
    }
}

// The call must fail with a SOAP fault: its code's local part ("Server", "Client") and its string.
static void fault(struct soap *soap, int status, const char *label) {
    if (status == SOAP_OK) {
        std::cout << label << " none" << std::endl;
        return;
    }
    if (status != SOAP_FAULT) {
        std::cerr << label << " failed without a fault: ";
        soap_stream_fault(soap, std::cerr);
        std::exit(1);
    }
    std::string code = *soap_faultcode(soap);
    std::string::size_type colon = code.rfind(':');
    if (colon != std::string::npos)
        code = code.substr(colon + 1);
    const char *string = soap_fault_string(soap);
    std::cout << label << " code=" << code << " string=" << (string ? string : "") << std::endl;
}

static srr__SetResultType *result(struct soap *soap, const std::string &orderId) {
    // a minute ago, as Swedish local time (yyyyMMddHHmmss)
    setenv("TZ", "Europe/Stockholm", 1);
    tzset();
    std::time_t then = std::time(nullptr) - 60;
    std::tm local{};
    localtime_r(&then, &local);
    char reportTime[16];
    std::strftime(reportTime, sizeof reportTime, "%Y%m%d%H%M%S", &local);

    auto *code = soap_new_core__CVType(soap);
    code->code = soap_new_std__string(soap);
    *code->code = "NPU27300";
    code->codeSystem = soap_new_std__string(soap);
    *code->codeSystem = "1.2.752.108.1";
    auto *pq = soap_new_core__PQType(soap);
    pq->value = "39";
    pq->unit = "mmol/mol";
    auto *analysis = soap_new_core__AnalysisResultType(soap);
    analysis->code = code;
    analysis->__union_AnalysisResultType = SOAP_UNION__core__union_AnalysisResultType_pq;
    analysis->union_AnalysisResultType.pq = pq;
    analysis->status = core__AnalysisStatusType__FINAL;
    auto *lab = soap_new_core__LaboratoryResultType(soap);
    lab->orderId = orderId;
    lab->performingLabHSAId = LAB;
    lab->resultVersion = 1;
    lab->reportStatus = core__ReportStatusType__FINAL;
    lab->reportTime = reportTime;
    lab->analysisResult.push_back(analysis);
    auto *request = soap_new_srr__SetResultType(soap);
    request->laboratoryResult = lab;
    return request;
}

static core__PersonIdType *person(struct soap *soap, const std::string &id) {
    auto *patient = soap_new_core__PersonIdType(soap);
    patient->id = id;
    patient->type = PERSON_NUMBER;
    return patient;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        std::cerr << "usage: interop_client BASE ORDER-ID INSTANCE-ID PATIENT NATIONAL-ENDPOINT" << std::endl;
        return 2;
    }
    base = argv[1];
    const std::string orderId = argv[2];
    instance = argv[3];
    const std::string patient = argv[4];
    const std::string national = argv[5];  // the national contract's endpoint on the platform
    // strict: what arrives must be valid by the schemas (required elements, patterns, enumerations)
    struct soap *soap = soap_new1(SOAP_XML_STRICT | SOAP_C_UTFSTRING);

    gor__GetOrdersType query;
    query.orderId.push_back(orderId);
    gor__GetOrdersResponseType orders;
    ok(soap, soap_call___go__GetOrders(soap, endpoint(soap, "GetOrders", LAB).c_str(), nullptr, &query, orders),
       "GetOrders");
    std::cout << "GETORDERS count=" << orders.order.size() << " status="
              << (orders.order.empty() ? "-" : soap_core__OrderStatusType2s(soap, orders.order[0]->status))
              << std::endl;

    srr__SetResultType *request = result(soap, orderId);
    for (int n = 1; n <= 2; n++) {
        srr__SetResultResponseType response;
        ok(soap, soap_call___sr__SetResult(soap, endpoint(soap, "SetResult", LAB).c_str(), nullptr, request,
                                           response), "SetResult");
        std::cout << "SETRESULT " << n << " " << soap_core__ResultCodeType2s(soap, response.result->resultCode)
                  << std::endl;
    }
    {
        srr__SetResultResponseType response;
        fault(soap, soap_call___sr__SetResult(soap, endpoint(soap, "SetResult", SAMPLING).c_str(), nullptr,
                                              result(soap, orderId), response), "VPFAULT");
    }
    {
        gor__GetOrdersType bad;
        bad.patientId = person(soap, "191212121213");
        gor__GetOrdersResponseType response;
        fault(soap, soap_call___go__GetOrders(soap, endpoint(soap, "GetOrders", LAB).c_str(), nullptr, &bad,
                                              response), "VALIDATIONFAULT");
    }

    gssr__GetSamplingSitesType sitesQuery;
    sitesQuery.careGiverHSAId = soap_new_std__string(soap);
    *sitesQuery.careGiverHSAId = CARE_GIVER;
    gssr__GetSamplingSitesResponseType sites;
    ok(soap, soap_call___gss__GetSamplingSites(soap, endpoint(soap, "GetSamplingSites", CITIZEN).c_str(), nullptr,
                                               &sitesQuery, sites), "GetSamplingSites");
    std::cout << "SITES count=" << sites.samplingSite.size() << " lab="
              << (sites.samplingSite.empty() ? "-" : sites.samplingSite[0]->performingLabHSAId) << std::endl;

    galr__GetAccessLogType logQuery;
    logQuery.patientId = person(soap, patient);
    galr__GetAccessLogResponseType log;
    ok(soap, soap_call___gal__GetAccessLog(soap, endpoint(soap, "GetAccessLog", CITIZEN).c_str(), nullptr,
                                           &logQuery, log), "GetAccessLog");
    bool labRead = false;
    for (const core__AccessLogEntryType *entry : log.accessLogEntry)
        if (entry->systemHSAId && *entry->systemHSAId == LAB)
            labRead = true;
    std::cout << "ACCESSLOG labRead=" << (labRead ? "true" : "false") << std::endl;

    // the national aggregator reads the patient's released results in the national contract
    glor__GetLaboratoryOrderOutcomeType outcomeQuery;
    outcomeQuery.patientId = soap_new_ao__IIType(soap);
    outcomeQuery.patientId->root = PERSON_NUMBER;
    outcomeQuery.patientId->extension = patient;
    glor__GetLaboratoryOrderOutcomeResponseType outcomes;
    ok(soap, soap_call___glo__GetLaboratoryOrderOutcome(soap, at(soap, national, AGGREGATOR).c_str(), nullptr,
                                                        &outcomeQuery, outcomes), "GetLaboratoryOrderOutcome");
    if (outcomes.laboratoryOrderOutcome.empty()) {
        std::cout << "OUTCOME count=0" << std::endl;
    } else {
        const ao__LaboratoryOrderOutcomeType *first = outcomes.laboratoryOrderOutcome[0];
        const ao__PQType *pq = first->body->groupOfAnalyses[0]->analysis[0]->result[0]->value->pq;
        std::cout << "OUTCOME count=" << outcomes.laboratoryOrderOutcome.size()
                  << " record=" << first->header->record->id->extension
                  << " approved=" << (first->header->accessControlHeader->approvedForPatient ? "true" : "false")
                  << " value=" << (pq ? pq->value + " " + pq->unit : std::string("-")) << std::endl;
    }

    // RC4: 1177 sets the patient's notices to SMS (as the patient), then reads them back
    snsr__SetNoticeSettingsType choice;
    choice.patientId = person(soap, patient);
    choice.channel = core__NoticeChannelType__SMS;
    choice.mobileNumber = soap_new_std__string(soap);
    *choice.mobileNumber = "070-174 06 05";
    choice.changedBy = soap_new_core__ActorType(soap);
    choice.changedBy->actorType = core__ActorCodeType__PATIENT;
    choice.changedBy->id = patient;
    snsr__SetNoticeSettingsResponseType set;
    ok(soap, soap_call___sns__SetNoticeSettings(soap, endpoint(soap, "SetNoticeSettings", CITIZEN).c_str(), nullptr,
                                                &choice, set), "SetNoticeSettings");
    gnsr__GetNoticeSettingsType noticesQuery;
    noticesQuery.patientId = person(soap, patient);
    gnsr__GetNoticeSettingsResponseType notices;
    ok(soap, soap_call___gns__GetNoticeSettings(soap, endpoint(soap, "GetNoticeSettings", CITIZEN).c_str(), nullptr,
                                                &noticesQuery, notices), "GetNoticeSettings");
    std::cout << "NOTICES set=" << soap_core__ResultCodeType2s(soap, set.result->resultCode);
    if (notices.noticeSettings)
        std::cout << " channel=" << soap_core__NoticeChannelType2s(soap, notices.noticeSettings->channel)
                  << " mobile=" << (notices.noticeSettings->mobileNumber ? *notices.noticeSettings->mobileNumber : "-");
    else
        std::cout << " channel=-";
    std::cout << std::endl;

    soap_destroy(soap);
    soap_end(soap);
    soap_free(soap);
    return 0;
}
